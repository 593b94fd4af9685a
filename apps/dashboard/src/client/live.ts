import type { ServerMessage } from './types.ts';

export type ConnectionState =
  | { kind: 'connecting' }
  | { kind: 'open' }
  | { kind: 'waiting'; retryInMs: number; attempt: number }
  | { kind: 'closed'; reason: string };

export interface LiveOptions {
  key: string;
  onMessage(message: ServerMessage): void;
  onState(state: ConnectionState): void;
  /** After a reconnect (not the first open): the caller may refresh what it shows. */
  onReconnected?(): void;
  /**
   * The socket keeps failing before it opens: maybe the key was revoked (the upgrade answers
   * 401 and browsers do not tell why). Resolves true to stop retrying.
   */
  checkKeyRefused?(): Promise<boolean>;
  /** The server closed the socket because the key was revoked (close code 4401). */
  onKeyRevoked?(): void;
}

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 15_000;

/** Backoff before reconnect attempt `attempt` (1, 2, …): doubling, capped, ±25 % jitter. */
export function reconnectDelay(attempt: number, random = Math.random()): number {
  const base = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.75 + random * 0.5));
}

/**
 * One WebSocket for the whole page. It remembers what the page follows (jobs and batches)
 * and subscribes again after every reconnect; each subscription starts with a snapshot that
 * carries the job's latest `seq`, so the page ends with the right state whatever it missed.
 * The key travels as a subprotocol (`genq.key.<key>`): browsers cannot set headers on a
 * WebSocket, and a key in the URL would end up in logs.
 */
export class LiveConnection {
  private socket: WebSocket | null = null;
  private readonly jobs = new Set<string>();
  private readonly batches = new Set<string>();
  private attempt = 0;
  private everOpened = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(private readonly options: LiveOptions) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, 'signed out');
  }

  /** Follows a job: its snapshot and every event of it, also after reconnects. */
  followJob(id: string): void {
    if (this.jobs.has(id)) return;
    this.jobs.add(id);
    this.send({ action: 'subscribe', job_id: id });
  }

  unfollowJob(id: string): void {
    if (!this.jobs.delete(id)) return;
    this.send({ action: 'unsubscribe', job_id: id });
  }

  /** Asks for a fresh snapshot of a followed job (e.g. to update a waiting job's position). */
  refreshJob(id: string): void {
    if (!this.jobs.has(id)) return;
    this.send({ action: 'unsubscribe', job_id: id });
    this.send({ action: 'subscribe', job_id: id });
  }

  followBatch(id: string): void {
    if (this.batches.has(id)) return;
    this.batches.add(id);
    this.send({ action: 'subscribe', batch_id: id });
  }

  /** Subscribes to a followed batch again (a fresh batch snapshot). */
  refreshBatch(id: string): void {
    if (!this.batches.has(id)) return;
    this.send({ action: 'unsubscribe', batch_id: id });
    this.send({ action: 'subscribe', batch_id: id });
  }

  unfollowBatch(id: string): void {
    if (!this.batches.delete(id)) return;
    this.send({ action: 'unsubscribe', batch_id: id });
  }

  /** Skips the wait before the next attempt (the browser came back online, say). */
  reconnectNow(): void {
    if (this.stopped || this.socket || !this.timer) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.connect();
  }

  get isOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  private send(message: Record<string, string>): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
    // Otherwise the subscription is sent when the socket opens.
  }

  private connect(): void {
    if (this.stopped) return;
    this.options.onState({ kind: 'connecting' });
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    let socket: WebSocket;
    try {
      socket = new WebSocket(url, ['genq', `genq.key.${this.options.key}`]);
    } catch {
      this.scheduleReconnect(false);
      return;
    }
    this.socket = socket;
    let opened = false;
    socket.addEventListener('open', () => {
      if (this.socket !== socket) return;
      opened = true;
      this.attempt = 0;
      this.options.onState({ kind: 'open' });
      for (const id of this.jobs) socket.send(JSON.stringify({ action: 'subscribe', job_id: id }));
      for (const id of this.batches) {
        socket.send(JSON.stringify({ action: 'subscribe', batch_id: id }));
      }
      if (this.everOpened) this.options.onReconnected?.();
      this.everOpened = true;
    });
    socket.addEventListener('message', (event: MessageEvent) => {
      if (this.socket !== socket || typeof event.data !== 'string') return;
      let message: ServerMessage;
      try {
        message = JSON.parse(event.data) as ServerMessage;
      } catch {
        return;
      }
      this.options.onMessage(message);
    });
    socket.addEventListener('close', (event: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (event.code === 4401) {
        this.stopped = true;
        this.options.onState({ kind: 'closed', reason: 'the API key was revoked' });
        this.options.onKeyRevoked?.();
        return;
      }
      this.scheduleReconnect(opened);
    });
    // An 'error' event is always followed by 'close': reconnecting happens there.
  }

  private scheduleReconnect(hadOpened: boolean): void {
    if (this.stopped) return;
    this.attempt += 1;
    const attempt = this.attempt;
    const delay = reconnectDelay(attempt);
    this.options.onState({ kind: 'waiting', retryInMs: delay, attempt });
    const retry = async (): Promise<void> => {
      this.timer = null;
      // Failing before the handshake, again and again: ask the API whether the key still works.
      if (!hadOpened && attempt >= 2 && this.options.checkKeyRefused) {
        const refused = await this.options.checkKeyRefused().catch(() => false);
        if (refused) {
          this.stopped = true;
          this.options.onState({ kind: 'closed', reason: 'the API key was refused' });
          return;
        }
      }
      this.connect();
    };
    this.timer = setTimeout(() => void retry(), delay);
  }
}
