import type { Logger } from '@genq/core';
import type { JobRecord, RecoveryRepository } from '@genq/db';
import type { Heartbeat, JobQueue } from '@genq/queue';
import type { Emit } from './emitter.ts';
import { enqueueRequest } from './submission.ts';

export interface RescueDeps {
  recovery: RecoveryRepository;
  queue: JobQueue;
  emit: Emit;
  /** Whether BullMQ still holds each job's delivery (waiting, delayed or active). */
  deliveryExists(rows: JobRecord[]): Promise<boolean[]>;
  logger: Logger;
}

export interface RescueReport {
  reenqueued: number;
  released: number;
  failed: number;
}

const PAGE = 1000;

/**
 * The rescue transitions of the reconciler. PostgreSQL is the source of truth; these put
 * Redis back in line with it and settle attempts nobody will finish:
 * - a waiting row (queued, retrying) that Redis does not hold (a flush or restart, a crash
 *   between the API's two writes) is queued again, with what is left of its backoff;
 * - a running row untouched for a while, whose delivery is gone from BullMQ, and which no
 *   live worker says it runs (its worker died, or dropped it), gets another attempt within
 *   its budget, or fails as `worker_lost`. A row whose delivery still exists is left to
 *   BullMQ's stalled-job check, which delivers it again.
 */
export function createRescue(deps: RescueDeps) {
  async function requeueLost(): Promise<number> {
    let count = 0;
    let after: string | null = null;
    for (;;) {
      const page = await deps.recovery.waitingPage(after, PAGE);
      if (page.length === 0) return count;
      after = page.at(-1)!.id;
      const held = await deps.queue.holds(page);
      const missing = page.filter((_row, i) => !held[i]);
      if (missing.length === 0) continue;
      const now = Date.now();
      // Re-adding is harmless: BullMQ ignores a jobId it already holds.
      await deps.queue.enqueue(
        missing.map((row) =>
          enqueueRequest(
            row,
            row.nextAttemptAt ? Math.max(0, row.nextAttemptAt.getTime() - now) : undefined,
          ),
        ),
      );
      count += missing.length;
    }
  }

  async function settleAbandoned(
    idleSince: Date,
    live: Heartbeat[],
  ): Promise<{ released: number; failed: number }> {
    const workers = new Map(live.map((beat) => [beat.id, beat]));
    const candidates = await deps.recovery.runningSince(idleSince, PAGE);
    const unowned = candidates.filter((row) => {
      const worker = row.workerId ? workers.get(row.workerId) : undefined;
      // A heartbeat that does not list its jobs cannot vouch against them: leave them.
      return !worker || (worker.jobs !== undefined && !worker.jobs.includes(row.id));
    });
    const exists = await deps.deliveryExists(unowned);
    const orphaned = unowned.filter((_row, i) => !exists[i]);
    let released = 0;
    let failed = 0;
    for (const row of orphaned) {
      if (row.attempts < row.maxAttempts) {
        const back = await deps.recovery.releaseForRetry(row);
        if (!back) continue;
        await deps.queue.enqueue([enqueueRequest(back)]);
        await deps.emit(back, { attemptEnded: false });
        released += 1;
      } else {
        const reason = `the worker running attempt ${row.attempts} of ${row.maxAttempts} stopped responding`;
        const settled = await deps.recovery.failAbandoned(row, reason);
        if (!settled) continue;
        await deps.emit(settled, { attemptEnded: false });
        failed += 1;
      }
    }
    return { released, failed };
  }

  return {
    /** One pass of both rescues. */
    async rescue(idleSince: Date, live: Heartbeat[]): Promise<RescueReport> {
      const reenqueued = await requeueLost();
      const { released, failed } = await settleAbandoned(idleSince, live);
      return { reenqueued, released, failed };
    },
  };
}
