import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { z } from 'zod';
import type { JobEvent, Logger } from '@genq/core';

/** Loads a job's current state for a new subscriber; null when the job does not exist. */
export type SnapshotLoader = (jobId: string) => Promise<JobEvent | null>;

export interface GatewayOptions {
  loadSnapshot: SnapshotLoader;
  logger: Logger;
  /** Largest client message accepted (clients only send small commands). */
  maxPayloadBytes?: number;
  /** Pings every interval; a socket that did not answer the previous ping is dropped. */
  pingIntervalMs?: number;
}

const clientMessageSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('subscribe'), job_id: z.string().min(1).max(64) }).strict(),
  z.object({ action: z.literal('unsubscribe'), job_id: z.string().min(1).max(64) }).strict(),
]);

interface Subscription {
  socket: WebSocket;
  jobId: string;
  /** Until the snapshot is sent, events are held here. */
  pending: { event: JobEvent; raw: string }[] | null;
  lastSeq: number;
}

/**
 * WebSocket layer on the API's HTTP server (`/ws` and `/ws/:jobId`). The process receives
 * every job event once from Redis and fans it out to the sockets subscribed to that job.
 * A subscription starts with a snapshot; later events are forwarded only if newer (seq).
 */
export function createWebSocketGateway(options: GatewayOptions) {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayloadBytes ?? 16 * 1024,
    perMessageDeflate: false,
  });
  const byJob = new Map<string, Set<Subscription>>();
  const bySocket = new Map<WebSocket, Map<string, Subscription>>();
  const alive = new WeakSet<WebSocket>();

  const send = (socket: WebSocket, data: string): void => {
    if (socket.readyState === WebSocket.OPEN) socket.send(data);
  };
  const sendError = (socket: WebSocket, code: string, message: string, jobId?: string): void =>
    send(
      socket,
      JSON.stringify({ type: 'error', job_id: jobId ?? null, error: { code, message } }),
    );

  async function subscribe(socket: WebSocket, jobId: string): Promise<void> {
    const mine = bySocket.get(socket);
    if (!mine || mine.has(jobId)) return;
    const sub: Subscription = { socket, jobId, pending: [], lastSeq: -1 };
    mine.set(jobId, sub);
    let set = byJob.get(jobId);
    if (!set) byJob.set(jobId, (set = new Set()));
    set.add(sub);

    let snapshot: JobEvent | null;
    try {
      snapshot = await options.loadSnapshot(jobId);
    } catch (error) {
      options.logger.warn('could not load a snapshot', { jobId, error: String(error) });
      unsubscribe(socket, jobId);
      sendError(socket, 'service_unavailable', 'could not load the job, try again', jobId);
      return;
    }
    if (!snapshot) {
      unsubscribe(socket, jobId);
      sendError(socket, 'not_found', `job ${jobId} not found`, jobId);
      return;
    }
    const held = sub.pending ?? [];
    sub.pending = null;
    sub.lastSeq = snapshot.seq;
    send(socket, JSON.stringify(snapshot));
    for (const { event, raw } of held) deliver(sub, event, raw);
  }

  function unsubscribe(socket: WebSocket, jobId: string): void {
    const sub = bySocket.get(socket)?.get(jobId);
    if (!sub) return;
    bySocket.get(socket)?.delete(jobId);
    const set = byJob.get(jobId);
    set?.delete(sub);
    if (set?.size === 0) byJob.delete(jobId);
  }

  function deliver(sub: Subscription, event: JobEvent, raw: string): void {
    if (sub.pending) {
      sub.pending.push({ event, raw });
      return;
    }
    if (event.seq <= sub.lastSeq) return;
    sub.lastSeq = event.seq;
    send(sub.socket, raw);
  }

  function onMessage(socket: WebSocket, data: RawData): void {
    let parsed: ReturnType<typeof clientMessageSchema.safeParse>;
    try {
      parsed = clientMessageSchema.safeParse(JSON.parse(data.toString()));
    } catch {
      sendError(socket, 'validation_failed', 'messages must be JSON');
      return;
    }
    if (!parsed.success) {
      sendError(
        socket,
        'validation_failed',
        'expected {"action":"subscribe"|"unsubscribe","job_id":"..."}',
      );
      return;
    }
    if (parsed.data.action === 'subscribe') void subscribe(socket, parsed.data.job_id);
    else unsubscribe(socket, parsed.data.job_id);
  }

  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    bySocket.set(socket, new Map());
    alive.add(socket);
    socket.on('pong', () => alive.add(socket));
    socket.on('message', (data) => onMessage(socket, data));
    socket.on('error', () => socket.terminate());
    socket.on('close', () => {
      for (const jobId of [...(bySocket.get(socket)?.keys() ?? [])]) unsubscribe(socket, jobId);
      bySocket.delete(socket);
    });
    const jobId = /^\/ws\/([^/?]+)/.exec(request.url ?? '')?.[1];
    if (jobId) void subscribe(socket, decodeURIComponent(jobId));
  });

  const pingTimer = setInterval(() => {
    for (const socket of wss.clients) {
      if (!alive.has(socket)) {
        socket.terminate();
        continue;
      }
      alive.delete(socket);
      socket.ping();
    }
  }, options.pingIntervalMs ?? 30_000);
  pingTimer.unref();

  return {
    /** Handles an HTTP upgrade; false when the path is not the gateway's. */
    handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
      const pathname = (request.url ?? '').split('?')[0] ?? '';
      if (pathname !== '/ws' && !/^\/ws\/[^/]+$/.test(pathname)) return false;
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
      return true;
    },
    /** Called once per event received from Redis; `raw` is forwarded as is. */
    dispatch(event: JobEvent, raw: string): void {
      const subs = byJob.get(event.job_id);
      if (!subs) return;
      for (const sub of subs) deliver(sub, event, raw);
    },
    connectionCount: (): number => wss.clients.size,
    async close(): Promise<void> {
      clearInterval(pingTimer);
      for (const socket of wss.clients) socket.close(1001, 'server shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

export type WebSocketGateway = ReturnType<typeof createWebSocketGateway>;
