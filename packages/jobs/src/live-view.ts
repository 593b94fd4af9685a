import { isTerminal, type JobEvent, type Stage } from '@genq/core';
import type { JobRecord } from '@genq/db';

/** Where a job stands, as HTTP views and WebSocket snapshots show it. */
export interface JobState {
  status: JobRecord['status'];
  current_step: Stage;
  progress: number;
  message: string | null;
  attempts: number;
  error: { code: string; message: string } | null;
  /** The latest event's sequence number (0 when Redis holds none): a subscriber's cursor. */
  seq: number;
}

/**
 * The one rule that overlays a row with the job's live state in Redis. Every transition
 * writes the row first and publishes its event after, and progress reaches the row at most
 * once a second, so the live state is the fresher of the two, unless it is older than the
 * row (its event was lost to a Redis outage, or Redis restarted and kept an old one). So:
 * a finished row always wins; otherwise the live state is taken when it describes the row's
 * status, or when it was published after the row last changed.
 */
export function currentState(row: JobRecord, live: JobEvent | null | undefined): JobState {
  const seq = live?.seq ?? 0;
  const fromRow: JobState = {
    status: row.status,
    current_step: row.currentStep as Stage,
    progress: row.progress,
    message: row.message,
    attempts: row.attempts,
    error: row.error ? { code: row.errorCode ?? 'error', message: row.error } : null,
    seq,
  };
  if (!live || isTerminal(row.status)) return fromRow;
  const newer = live.status === row.status || Date.parse(live.timestamp) >= row.updatedAt.getTime();
  if (!newer) return fromRow;
  return {
    status: live.status,
    current_step: live.current_step,
    progress: live.progress,
    message: live.message,
    attempts: live.attempts,
    error: live.error,
    seq,
  };
}
