import WebSocket from 'ws';
import type { ApiClient } from './api-client.ts';
import { ApiError, CliError, EXIT } from './errors.ts';
import {
  isTerminalStatus,
  type BatchSnapshotMessage,
  type BatchView,
  type JobEvent,
  type JobView,
  type WsErrorMessage,
} from './types.ts';

/** What the CLI knows of a job at a moment. */
export interface JobState {
  job_id: string;
  batch_id: string | null;
  status: string;
  current_step: string;
  progress: number;
  message: string | null;
  attempts: number;
  error: { code: string; message: string } | null;
  /** Sequence number of the latest event applied; -1 when only polled. */
  seq: number;
}

export interface FollowerOptions {
  client: ApiClient;
  /** Called for every change of a job's state. */
  onUpdate?: (job: JobState, previous: JobState | undefined) => void;
  /** Connection notes for people (lost, back, polling). */
  onNotice?: (message: string) => void;
  /** Poll period while the WebSocket is down (default 2 s). */
  pollIntervalMs?: number;
  /** With the socket up but silent this long (default 30 s), poll to be sure nothing was missed. */
  idleCheckMs?: number;
  /** Give up (exit 3) after this long without reaching the server (default 5 min). */
  giveUpAfterMs?: number;
}

const MAX_RECONNECT_DELAY_MS = 10_000;

function fromEvent(event: JobEvent): JobState {
  return {
    job_id: event.job_id,
    batch_id: event.batch_id,
    status: event.status,
    current_step: event.current_step,
    progress: event.progress,
    message: event.message,
    attempts: event.attempts,
    error: event.error,
    seq: event.seq,
  };
}

function fromView(view: JobView, seq: number): JobState {
  return {
    job_id: view.id,
    batch_id: view.batch_id,
    // A running job being stopped is still running until the worker lets go.
    status: view.status === 'cancelling' ? 'running' : view.status,
    current_step: view.current_step,
    progress: view.progress,
    message: view.message,
    attempts: view.attempts,
    error: view.error,
    seq,
  };
}

/**
 * Follows jobs and batches live over the gateway's WebSocket (`/ws`, one socket for all):
 * each subscription starts with a snapshot, later events apply only when newer (`seq`, per
 * job). A dropped connection is reopened with backoff and every subscription renewed (new
 * snapshots, so nothing is missed); while it is down, and whenever it stays silent for a
 * while, the state is polled over HTTP instead.
 */
export class Follower {
  readonly jobs = new Map<string, JobState>();
  private readonly batches = new Set<string>();
  /** Batches whose job list is known (from the caller, a snapshot or a poll). */
  private readonly knownBatches = new Set<string>();
  private readonly singles = new Set<string>();
  private socket: WebSocket | null = null;
  private connected = false;
  private wsDisabled = false;
  private closed = false;
  /** Set once the caller awaits the end: no more jobs or batches will be added. */
  private sealed = false;
  private reconnectDelay = 500;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readonly ticker: NodeJS.Timeout;
  private lastMessageAt = Date.now();
  private lastPollAt = 0;
  private lastContactAt = Date.now();
  private disconnectedSince: number | null = Date.now();
  private polling = false;
  private noticedDown = false;
  private settle!: { resolve: () => void; reject: (error: unknown) => void };
  private readonly done: Promise<void>;

  constructor(private readonly options: FollowerOptions) {
    this.done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    // Callers may await `finished()` late; the rejection is handled there.
    this.done.catch(() => undefined);
    this.ticker = setInterval(() => this.tick(), 500);
    this.connect();
  }

  /** Follows every job of a batch; `jobIds` when already known (faster completion check). */
  followBatch(batchId: string, jobIds?: string[]): void {
    if (this.batches.has(batchId)) return;
    this.batches.add(batchId);
    if (jobIds) {
      this.knownBatches.add(batchId);
      for (const id of jobIds) this.expect(id, batchId);
    }
    this.send({ action: 'subscribe', batch_id: batchId });
  }

  followJob(jobId: string): void {
    if (this.singles.has(jobId)) return;
    this.singles.add(jobId);
    this.expect(jobId, null);
    this.send({ action: 'subscribe', job_id: jobId });
  }

  /** Resolves once every followed job is finished; rejects with a CliError. */
  async finished(): Promise<void> {
    this.sealed = true;
    this.checkDone();
    return this.done;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.ticker);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.socket?.removeAllListeners();
    this.socket?.on('error', () => undefined);
    this.socket?.terminate();
    this.socket = null;
  }

  /** Registers a job whose end is awaited, as `queued` until something is heard. */
  private expect(jobId: string, batchId: string | null): void {
    if (this.jobs.has(jobId)) return;
    this.jobs.set(jobId, {
      job_id: jobId,
      batch_id: batchId,
      status: 'queued',
      current_step: 'queued',
      progress: 0,
      message: null,
      attempts: 0,
      error: null,
      seq: -1,
    });
  }

  private allFinished(): boolean {
    for (const batch of this.batches) if (!this.knownBatches.has(batch)) return false;
    for (const job of this.jobs.values()) if (!isTerminalStatus(job.status)) return false;
    return this.jobs.size > 0 || this.batches.size > 0;
  }

  private checkDone(): void {
    if (this.sealed && !this.closed && this.allFinished()) {
      this.close();
      this.settle.resolve();
    }
  }

  private fail(error: unknown): void {
    if (this.closed) return;
    this.close();
    this.settle.reject(error);
  }

  private apply(next: JobState, source: 'event' | 'snapshot' | 'poll'): void {
    const previous = this.jobs.get(next.job_id);
    if (previous) {
      if (isTerminalStatus(previous.status)) return;
      if (source === 'event' && next.seq <= previous.seq) return;
      if (source === 'snapshot' && next.seq < previous.seq) return;
      if (source === 'poll') {
        // Rows are written less often than events go out: keep what is fresher.
        const changed = next.status !== previous.status || next.progress > previous.progress;
        if (!changed) return;
        next = { ...next, seq: previous.seq };
      }
    }
    this.jobs.set(next.job_id, next);
    this.options.onUpdate?.(next, previous);
  }

  // ---- WebSocket ----

  private send(message: unknown): void {
    if (this.connected && this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  }

  private connect(): void {
    if (this.closed || this.wsDisabled) return;
    const socket = new WebSocket(this.options.client.wsUrl('/ws'), {
      headers: this.options.client.authHeaders(),
      handshakeTimeout: 10_000,
    });
    this.socket = socket;
    socket.on('open', () => {
      this.connected = true;
      this.disconnectedSince = null;
      this.reconnectDelay = 500;
      this.lastMessageAt = Date.now();
      this.lastContactAt = Date.now();
      if (this.noticedDown) this.options.onNotice?.('live connection is back');
      this.noticedDown = false;
      // Each subscription starts with a snapshot, so renewing them catches up on anything missed.
      for (const batchId of this.batches) {
        if (!this.batchFinished(batchId)) this.send({ action: 'subscribe', batch_id: batchId });
      }
      for (const jobId of this.singles) {
        const job = this.jobs.get(jobId);
        if (!job || !isTerminalStatus(job.status))
          this.send({ action: 'subscribe', job_id: jobId });
      }
    });
    socket.on('message', (data) => this.onMessage(data.toString()));
    socket.on('unexpected-response', (_request, response) => {
      const status = response.statusCode ?? 0;
      response.resume();
      if (status === 401 || status === 403) {
        this.fail(
          new ApiError(
            status,
            status === 401 ? 'unauthorized' : 'forbidden',
            `the WebSocket connection was refused (${status})` +
              (status === 401 ? ' (set GENQ_API_KEY or pass --api-key)' : ''),
          ),
        );
        return;
      }
      if (status === 404) {
        // No gateway on this server: polling only.
        this.wsDisabled = true;
        this.options.onNotice?.('no live connection available, polling instead');
      }
      this.onDisconnect();
    });
    socket.on('error', () => this.onDisconnect());
    socket.on('close', () => this.onDisconnect());
  }

  private onDisconnect(): void {
    if (this.socket) {
      this.socket.removeAllListeners();
      this.socket.on('error', () => undefined);
      this.socket.terminate();
      this.socket = null;
    }
    const wasConnected = this.connected;
    this.connected = false;
    this.disconnectedSince ??= Date.now();
    if (this.closed || this.wsDisabled) return;
    if (wasConnected && !this.noticedDown) {
      this.noticedDown = true;
      this.options.onNotice?.('live connection lost, reconnecting (polling meanwhile)');
    }
    const delay = this.reconnectDelay * (0.75 + Math.random() * 0.5);
    this.reconnectDelay = Math.min(MAX_RECONNECT_DELAY_MS, this.reconnectDelay * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  private onMessage(raw: string): void {
    this.lastMessageAt = Date.now();
    this.lastContactAt = this.lastMessageAt;
    let message: { type?: unknown };
    try {
      message = JSON.parse(raw) as { type?: unknown };
    } catch {
      return;
    }
    if (message.type === 'batch_snapshot') {
      const snapshot = message as BatchSnapshotMessage;
      for (const event of snapshot.jobs) {
        if (!this.jobs.has(event.job_id)) this.expect(event.job_id, snapshot.batch_id);
        this.apply(fromEvent(event), 'snapshot');
      }
      this.knownBatches.add(snapshot.batch_id);
    } else if (message.type === 'error') {
      this.onErrorMessage(message as WsErrorMessage);
    } else if (message.type === 'snapshot') {
      this.apply(fromEvent(message as JobEvent), 'snapshot');
    } else if (message.type === 'progress' || message.type === 'status') {
      const event = message as JobEvent;
      // Events of jobs of a followed batch that the CLI did not know yet (watch <batch>).
      if (event.batch_id && this.batches.has(event.batch_id) && !this.jobs.has(event.job_id)) {
        this.expect(event.job_id, event.batch_id);
      }
      if (this.jobs.has(event.job_id)) this.apply(fromEvent(event), 'event');
    }
    this.checkDone();
  }

  private onErrorMessage(message: WsErrorMessage): void {
    const { code, message: text } = message.error;
    if (code === 'not_found') {
      this.fail(new CliError(text, EXIT.USAGE, 'not_found'));
      return;
    }
    if (code === 'unauthorized' || code === 'forbidden') {
      this.fail(new CliError(text, EXIT.AUTH, code));
      return;
    }
    // Transient (service_unavailable): ask again shortly.
    setTimeout(() => {
      if (message.batch_id) this.send({ action: 'subscribe', batch_id: message.batch_id });
      else if (message.job_id) this.send({ action: 'subscribe', job_id: message.job_id });
    }, 1000).unref();
  }

  private batchFinished(batchId: string): boolean {
    if (!this.knownBatches.has(batchId)) return false;
    for (const job of this.jobs.values()) {
      if (job.batch_id === batchId && !isTerminalStatus(job.status)) return false;
    }
    return true;
  }

  // ---- polling ----

  private tick(): void {
    if (this.closed) return;
    const now = Date.now();
    const giveUp = this.options.giveUpAfterMs ?? 300_000;
    if (now - this.lastContactAt > giveUp) {
      this.fail(
        new CliError(
          `lost contact with genq at ${this.options.client.baseUrl} for ${Math.round(giveUp / 1000)} s`,
          EXIT.SERVER,
          'network_error',
        ),
      );
      return;
    }
    const down = !this.connected && this.disconnectedSince !== null;
    const pollEvery = this.options.pollIntervalMs ?? 2000;
    const idle = this.options.idleCheckMs ?? 30_000;
    const due = down
      ? now - (this.disconnectedSince ?? now) >= Math.min(2000, pollEvery) &&
        now - this.lastPollAt >= pollEvery
      : now - this.lastMessageAt >= idle && now - this.lastPollAt >= idle;
    if (due && !this.polling) void this.poll();
  }

  private async poll(): Promise<void> {
    this.polling = true;
    this.lastPollAt = Date.now();
    try {
      for (const batchId of this.batches) {
        if (this.closed) return;
        if (this.batchFinished(batchId)) continue;
        const { body } = await this.options.client.json<BatchView>(
          'GET',
          `/api/v1/batches/${encodeURIComponent(batchId)}`,
        );
        for (const view of body.jobs) {
          if (!this.jobs.has(view.id)) this.expect(view.id, batchId);
          this.apply(fromView(view, -1), 'poll');
        }
        this.knownBatches.add(batchId);
        this.lastContactAt = Date.now();
      }
      for (const jobId of this.singles) {
        if (this.closed) return;
        const job = this.jobs.get(jobId);
        if (job && isTerminalStatus(job.status)) continue;
        const { body } = await this.options.client.json<JobView>(
          'GET',
          `/api/v1/jobs/${encodeURIComponent(jobId)}`,
        );
        this.apply(fromView(body, -1), 'poll');
        this.lastContactAt = Date.now();
      }
      this.checkDone();
    } catch (error) {
      // Unreachable: keep trying until giveUpAfterMs. Anything else is final.
      if (!(error instanceof CliError) || error.exitCode !== EXIT.SERVER) this.fail(error);
    } finally {
      this.polling = false;
    }
  }
}
