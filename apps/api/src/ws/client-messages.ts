import type { Duplex } from 'node:stream';
import { z } from 'zod';

const action = z.enum(['subscribe', 'unsubscribe']);

/** A job or batch id as a message (or the `/ws/:jobId` path) carries it. */
export const messageId = z.string().min(1).max(64);

/** What a client may send: one subscription change per message, for one id. */
export const clientMessageSchema = z.union([
  z.object({ action, job_id: messageId }).strict(),
  z.object({ action, batch_id: messageId }).strict(),
]);

export type ClientMessage = z.infer<typeof clientMessageSchema>;

export const INVALID_MESSAGE =
  'expected {"action":"subscribe"|"unsubscribe","job_id":"..."} or {…,"batch_id":"..."}';

/** An error message as the gateway sends it. */
export function errorMessage(
  code: string,
  message: string,
  jobId?: string,
  batchId?: string,
): string {
  return JSON.stringify({
    type: 'error',
    job_id: jobId ?? null,
    ...(batchId ? { batch_id: batchId } : {}),
    error: { code, message },
  });
}

/** `decodeURIComponent`, or null for malformed percent-encoding. */
export function safeDecode(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}

/** Answers an upgrade request with an HTTP error, before any WebSocket handshake. */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  reason: string,
  message: string,
): void {
  const body = JSON.stringify({
    error: {
      code:
        status === 401 ? 'unauthorized' : status === 429 ? 'rate_limited' : 'service_unavailable',
      message,
      details: [],
    },
  });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
