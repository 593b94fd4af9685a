import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { JobEvent, Logger } from '@genq/core';
import {
  clientMessageSchema,
  errorMessage,
  INVALID_MESSAGE,
  messageId,
  refuseUpgrade,
  safeDecode,
} from './client-messages.ts';
import {
  createSocketGuard,
  createTaskQueue,
  DEFAULT_SOCKET_LIMITS,
  type SocketGuard,
  type SocketLimits,
} from './socket-limits.ts';
import {
  addTo,
  deliver,
  deliverToBatch,
  removeFrom,
  type BatchSubscription,
  type Send,
  type Subscription,
} from './subscriptions.ts';

/** Who a socket belongs to: it may follow only its client's jobs and batches. */
export interface SocketOwner {
  clientId: string;
  keyId: string;
}

/**
 * Loads a job's current state for a new subscriber; null when the job does not exist or
 * belongs to another client (both look the same to the subscriber).
 */
export type SnapshotLoader = (jobId: string, clientId: string) => Promise<JobEvent | null>;

/**
 * Loads a batch for a new subscriber: the message sent first, whose `jobs` hold one snapshot
 * per job (with its latest seq); null when the batch does not exist.
 */
export type BatchSnapshotLoader = (
  batchId: string,
  clientId: string,
) => Promise<{ jobs: JobEvent[] } | null>;

export interface GatewayOptions {
  /** Checks the upgrade request's key; null answers 401 before the handshake. */
  authenticate: (request: IncomingMessage) => Promise<SocketOwner | null>;
  /** Open sockets one key may hold (429 at the upgrade above it). */
  maxSocketsPerKey?: number;
  loadSnapshot: SnapshotLoader;
  /** Without it, batch subscriptions are refused. */
  loadBatchSnapshot?: BatchSnapshotLoader;
  logger: Logger;
  /** Largest client message accepted (clients only send small commands). */
  maxPayloadBytes?: number;
  /** Pings every interval; a socket that did not answer the previous ping is dropped. */
  pingIntervalMs?: number;
  /** Per-socket caps (socket-limits.ts); unset ones take DEFAULT_SOCKET_LIMITS. */
  limits?: Partial<SocketLimits>;
}

interface SocketState {
  jobs: Map<string, Subscription>;
  batches: Map<string, BatchSubscription>;
  guard: SocketGuard;
  /** Runs this socket's snapshot loads, a few at a time. */
  loads: ReturnType<typeof createTaskQueue>;
}

/**
 * WebSocket layer on the API's HTTP server (`/ws` and `/ws/:jobId`). The process receives
 * every job event once from Redis and fans it out to the sockets subscribed to that job or
 * to its batch. A subscription starts with a snapshot; later events are forwarded only if
 * newer (seq, per job). Each socket is bounded (socket-limits.ts): its subscriptions, its
 * message rate, its snapshot loads in flight and what it leaves unread.
 */
export function createWebSocketGateway(options: GatewayOptions) {
  const limits: SocketLimits = { ...DEFAULT_SOCKET_LIMITS, ...options.limits };
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayloadBytes ?? 16 * 1024,
    perMessageDeflate: false,
  });
  const byJob = new Map<string, Set<Subscription>>();
  const byBatch = new Map<string, Set<BatchSubscription>>();
  const bySocket = new Map<WebSocket, SocketState>();
  const owners = new Map<WebSocket, SocketOwner>();
  const socketsPerKey = new Map<string, number>();
  const maxSocketsPerKey = options.maxSocketsPerKey ?? 100;
  const alive = new WeakSet<WebSocket>();

  const send: Send = (socket, data) => {
    if (socket.readyState !== WebSocket.OPEN) return;
    if (bySocket.get(socket)?.guard.canSend() === false) return;
    socket.send(data, { binary: false });
  };
  const sendError = (
    socket: WebSocket,
    code: string,
    message: string,
    jobId?: string,
    batchId?: string,
  ): void => send(socket, errorMessage(code, message, jobId, batchId));

  /** The client id a socket acts for (set at the authenticated upgrade). */
  const ownerOf = (socket: WebSocket): string => owners.get(socket)?.clientId ?? '';

  /** Room for one more subscription on the socket; if not, the socket is being closed. */
  const hasRoom = (state: SocketState): boolean =>
    state.guard.admitSubscription(state.jobs.size + state.batches.size);

  function subscribe(socket: WebSocket, jobId: string): void {
    const state = bySocket.get(socket);
    if (!state || state.jobs.has(jobId) || !hasRoom(state)) return;
    const sub: Subscription = { socket, jobId, queued: true, pending: null, lastSeq: -1 };
    state.jobs.set(jobId, sub);
    addTo(byJob, jobId, sub);
    state.loads.push(() => loadJob(state, sub));
  }

  /** A job subscription's turn to load: its snapshot, then the events held meanwhile. */
  async function loadJob(state: SocketState, sub: Subscription): Promise<void> {
    const { socket, jobId } = sub;
    // Unsubscribed (or the socket closed) while waiting: nothing to load.
    if (state.jobs.get(jobId) !== sub) return;
    sub.queued = false;
    sub.pending = [];
    let snapshot: JobEvent | null;
    try {
      snapshot = await options.loadSnapshot(jobId, ownerOf(socket));
    } catch (error) {
      options.logger.warn('could not load a snapshot', { jobId, error: String(error) });
      if (state.jobs.get(jobId) !== sub) return;
      unsubscribe(socket, jobId);
      sendError(socket, 'service_unavailable', 'could not load the job, try again', jobId);
      return;
    }
    // Unsubscribed (or resubscribed) while loading: this load is no longer wanted.
    if (state.jobs.get(jobId) !== sub) return;
    if (!snapshot) {
      unsubscribe(socket, jobId);
      sendError(socket, 'not_found', `job ${jobId} not found`, jobId);
      return;
    }
    const held = sub.pending ?? [];
    sub.pending = null;
    sub.lastSeq = snapshot.seq;
    send(socket, JSON.stringify(snapshot));
    for (const { event, raw } of held) deliver(sub, event, raw, send);
  }

  function unsubscribe(socket: WebSocket, jobId: string): void {
    const sub = bySocket.get(socket)?.jobs.get(jobId);
    if (!sub) return;
    bySocket.get(socket)?.jobs.delete(jobId);
    removeFrom(byJob, jobId, sub);
  }

  /**
   * Follows every job of a batch: one snapshot message (the batch and each job's snapshot),
   * then each job event of the batch that is newer than what that job's snapshot held.
   */
  function subscribeBatch(socket: WebSocket, batchId: string): void {
    const state = bySocket.get(socket);
    const load = options.loadBatchSnapshot;
    if (!state || state.batches.has(batchId)) return;
    if (!load) {
      sendError(
        socket,
        'validation_failed',
        'batch subscriptions are not available',
        undefined,
        batchId,
      );
      return;
    }
    if (!hasRoom(state)) return;
    const sub: BatchSubscription = {
      socket,
      batchId,
      queued: true,
      pending: null,
      lastSeq: new Map(),
    };
    state.batches.set(batchId, sub);
    addTo(byBatch, batchId, sub);
    state.loads.push(() => loadBatch(state, sub, load));
  }

  async function loadBatch(
    state: SocketState,
    sub: BatchSubscription,
    load: BatchSnapshotLoader,
  ): Promise<void> {
    const { socket, batchId } = sub;
    const mine = state.batches;
    if (mine.get(batchId) !== sub) return;
    sub.queued = false;
    sub.pending = [];
    let snapshot: { jobs: JobEvent[] } | null;
    try {
      snapshot = await load(batchId, ownerOf(socket));
    } catch (error) {
      options.logger.warn('could not load a batch snapshot', { batchId, error: String(error) });
      if (mine.get(batchId) !== sub) return;
      unsubscribeBatch(socket, batchId);
      sendError(
        socket,
        'service_unavailable',
        'could not load the batch, try again',
        undefined,
        batchId,
      );
      return;
    }
    // Unsubscribed (or resubscribed) while loading: this load is no longer wanted.
    if (mine.get(batchId) !== sub) return;
    if (!snapshot) {
      unsubscribeBatch(socket, batchId);
      sendError(socket, 'not_found', `batch ${batchId} not found`, undefined, batchId);
      return;
    }
    const held = sub.pending ?? [];
    sub.pending = null;
    for (const job of snapshot.jobs) sub.lastSeq.set(job.job_id, job.seq);
    send(socket, JSON.stringify(snapshot));
    for (const { event, raw } of held) deliverToBatch(sub, event, raw, send);
  }

  function unsubscribeBatch(socket: WebSocket, batchId: string): void {
    const sub = bySocket.get(socket)?.batches.get(batchId);
    if (!sub) return;
    bySocket.get(socket)?.batches.delete(batchId);
    removeFrom(byBatch, batchId, sub);
  }

  /** One client message: constant work (a 16 KiB parse at most), then at most one load queued. */
  function onMessage(socket: WebSocket, data: RawData): void {
    if (!bySocket.get(socket)?.guard.admit()) return;
    let parsed: ReturnType<typeof clientMessageSchema.safeParse>;
    try {
      parsed = clientMessageSchema.safeParse(JSON.parse(data.toString()));
    } catch {
      sendError(socket, 'validation_failed', 'messages must be JSON');
      return;
    }
    if (!parsed.success) {
      sendError(socket, 'validation_failed', INVALID_MESSAGE);
      return;
    }
    const message = parsed.data;
    if ('batch_id' in message) {
      if (message.action === 'subscribe') subscribeBatch(socket, message.batch_id);
      else unsubscribeBatch(socket, message.batch_id);
    } else if (message.action === 'subscribe') subscribe(socket, message.job_id);
    else unsubscribe(socket, message.job_id);
  }

  wss.on('connection', (socket: WebSocket, request: IncomingMessage, owner: SocketOwner) => {
    const guard = createSocketGuard(socket, limits);
    bySocket.set(socket, {
      jobs: new Map(),
      batches: new Map(),
      guard,
      loads: createTaskQueue(limits.concurrentSnapshots),
    });
    owners.set(socket, owner);
    socketsPerKey.set(owner.keyId, (socketsPerKey.get(owner.keyId) ?? 0) + 1);
    alive.add(socket);
    socket.on('pong', () => alive.add(socket));
    // ws answers pings itself; they count against the message rate all the same.
    socket.on('ping', () => guard.admit());
    socket.on('message', (data) => onMessage(socket, data));
    socket.on('error', () => socket.terminate());
    socket.on('close', () => {
      const mine = bySocket.get(socket);
      mine?.loads.clear();
      for (const jobId of [...(mine?.jobs.keys() ?? [])]) unsubscribe(socket, jobId);
      for (const batchId of [...(mine?.batches.keys() ?? [])]) unsubscribeBatch(socket, batchId);
      bySocket.delete(socket);
      owners.delete(socket);
      const left = (socketsPerKey.get(owner.keyId) ?? 1) - 1;
      if (left > 0) socketsPerKey.set(owner.keyId, left);
      else socketsPerKey.delete(owner.keyId);
    });
    const inPath = /^\/ws\/([^/?]+)/.exec(request.url ?? '')?.[1];
    if (inPath) {
      // Checked like an id in a message: malformed %-encoding must not throw out of here.
      const jobId = messageId.safeParse(safeDecode(inPath));
      if (jobId.success) subscribe(socket, jobId.data);
      else sendError(socket, 'validation_failed', 'the job id in the path is not valid');
    }
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
      options
        .authenticate(request)
        .then(
          (owner) => {
            if (!owner)
              return refuseUpgrade(socket, 401, 'Unauthorized', 'a valid API key is required');
            if ((socketsPerKey.get(owner.keyId) ?? 0) >= maxSocketsPerKey) {
              return refuseUpgrade(
                socket,
                429,
                'Too Many Requests',
                'too many open sockets for this key',
              );
            }
            wss.handleUpgrade(request, socket, head, (ws) =>
              wss.emit('connection', ws, request, owner),
            );
          },
          (error: unknown) => {
            options.logger.warn('WebSocket authentication failed', { error: String(error) });
            refuseUpgrade(socket, 503, 'Service Unavailable', 'try again later');
          },
        )
        .catch((error: unknown) => {
          // Nothing thrown while upgrading may become an unhandled rejection (a crash).
          options.logger.error('WebSocket upgrade failed', { error: String(error) });
          socket.destroy();
        });
      return true;
    },
    /** Closes every socket opened with a key (revoked) or by a client (disabled). */
    closeOwnedBy(match: { keyId?: string; clientId?: string }): number {
      let closed = 0;
      for (const [socket, owner] of owners) {
        if (owner.keyId === match.keyId || owner.clientId === match.clientId) {
          socket.close(4401, 'API key revoked');
          closed += 1;
        }
      }
      return closed;
    },
    /** Called once per event received from Redis; `raw` is forwarded as is. */
    dispatch(event: JobEvent, raw: string): void {
      const jobSubs = byJob.get(event.job_id);
      const batchSubs = event.batch_id ? byBatch.get(event.batch_id) : undefined;
      if (!jobSubs && !batchSubs) return;
      // Encoded once here rather than once per socket by ws.
      const data = Buffer.from(raw);
      // A socket following both a job and its batch gets each event once.
      const sentTo = batchSubs ? new Set<WebSocket>() : null;
      for (const sub of jobSubs ?? []) {
        if (deliver(sub, event, data, send)) sentTo?.add(sub.socket);
      }
      for (const sub of batchSubs ?? []) {
        deliverToBatch(sub, event, data, send, sentTo?.has(sub.socket) ?? false);
      }
    },
    /** True while any socket follows a job or a batch: only then are events worth parsing. */
    hasSubscriptions: (): boolean => byJob.size > 0 || byBatch.size > 0,
    connectionCount: (): number => wss.clients.size,
    async close(): Promise<void> {
      clearInterval(pingTimer);
      for (const socket of wss.clients) socket.close(1001, 'server shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

export type WebSocketGateway = ReturnType<typeof createWebSocketGateway>;
