import { type Logger } from '@genq/core';
import type { JobRecord, JobsRepository } from '@genq/db';
import type { JobQueue } from '@genq/queue';
import type { Emit } from './emitter.ts';

export interface CancellationDeps {
  jobs: JobsRepository;
  queue: JobQueue;
  emit: Emit;
  /** Tells the worker running a job to stop it (the control channel). */
  signalCancel(jobId: string): Promise<void>;
  logger: Logger;
}

export type CancelOutcome =
  /** It was waiting: it is cancelled now. */
  | { kind: 'cancelled'; row: JobRecord }
  /** It runs: its worker was asked to stop it, and will record the cancellation. */
  | { kind: 'requested'; row: JobRecord }
  /** It finished (or vanished) before the cancellation could land. */
  | { kind: 'too_late' };

/** How long a cancel request waits for its event and webhook through a Redis outage. */
const EMIT_BUDGET_MS = 5_000;

/**
 * The cancel transition, asked for by a client. PostgreSQL arbitrates races with workers:
 * a waiting job is cancelled in its row first (a worker that picks it up afterwards drops
 * it), then removed from the queue; a running job gets a cancel request in its row, which
 * its worker acts on (told at once over the control channel, and by its poll of the rows
 * should that message be missed).
 */
export function createCancellation(deps: CancellationDeps) {
  return async function cancel(id: string): Promise<CancelOutcome> {
    const cancelled = await deps.jobs.cancelWaiting(id);
    if (cancelled) {
      await deps.queue.remove(cancelled.generator, id).catch(() => false);
      await deps.emit(cancelled, {
        attemptEnded: false,
        stop: AbortSignal.timeout(EMIT_BUDGET_MS),
      });
      return { kind: 'cancelled', row: cancelled };
    }
    const requested = await deps.jobs.requestCancel(id);
    if (!requested) return { kind: 'too_late' };
    await deps.signalCancel(id).catch((error: unknown) => {
      deps.logger.warn('could not signal a cancellation; the worker polls for it', {
        jobId: id,
        error: String(error),
      });
    });
    return { kind: 'requested', row: requested };
  };
}
