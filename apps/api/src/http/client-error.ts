import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody } from './error-handler.ts';

const answered = new WeakSet<Duplex>();

/**
 * Node's answer to a request it cannot parse (a URL or headers over 16 KiB, malformed HTTP),
 * before Express sees it, in genq's error shape instead of an empty body. Same statuses as
 * Node's own handler: 431 for oversized headers, 408 for a request timeout, else 400.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  // The parser reports again for every further chunk of the same request: answered once.
  if (answered.has(socket)) return;
  const inResponse = (socket as Duplex & { _httpMessage?: unknown })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inResponse) {
    socket.destroy();
    return;
  }
  const status =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 431
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 408
        : 400;
  const message =
    status === 431
      ? 'the request line or headers are too large'
      : status === 408
        ? 'the request took too long to arrive'
        : 'malformed HTTP request';
  const body = JSON.stringify(errorBody('validation_failed', message));
  answered.add(socket);
  // Not destroyed at once: closing with the client's request bytes unread would reset the
  // connection before it reads the answer. It closes when the client does, or after 5 s.
  setTimeout(() => socket.destroy(), 5_000).unref();
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
