import { PRIORITIES, type JobStatus } from '@genq/core';
import type { AgingRepository } from '@genq/db';
import type { JobQueue } from '@genq/queue';

export interface AgingDeps {
  aging: AgingRepository;
  queue: JobQueue;
}

/** Statuses of jobs waiting for a worker: queued, or between attempts. */
const WAITING: JobStatus[] = ['queued', 'retrying'];
/** Levels that can move up, and where they go; NORMAL → HIGH first, so one level a round. */
const MOVES = [
  { from: PRIORITIES.NORMAL, to: PRIORITIES.HIGH },
  { from: PRIORITIES.LOW, to: PRIORITIES.NORMAL },
];

/**
 * The age transition: waiting jobs that have waited since `cutoff` at their level move up
 * one. Each moves in the queue first (it leaves the old level and joins the back of the new
 * one), then in its row, guarded by status and old priority. Queue first: if the row write
 * is lost, the next round repeats both steps, so the two converge; a job that starts in
 * between keeps its old row priority, which no longer matters. A job missing from Redis is
 * left to the reconciler, which re-adds it with the row's priority.
 */
export function createAging(deps: AgingDeps) {
  async function move(
    status: JobStatus,
    from: number,
    to: number,
    cutoff: Date,
    limit: number,
  ): Promise<number> {
    const candidates = await deps.aging.candidates(status, from, cutoff, limit);
    if (candidates.length === 0) return 0;
    const results = await Promise.allSettled(
      candidates.map((row) =>
        deps.queue.changePriority({ id: row.id, generator: row.generator, priority: to }),
      ),
    );
    const moved = candidates.filter((_row, i) => {
      const result = results[i];
      return result?.status === 'fulfilled' && result.value;
    });
    if (moved.length === 0) return 0;
    return deps.aging.raise(
      moved.map((row) => row.id),
      status,
      from,
      to,
    );
  }

  return {
    /** One round: the number of jobs moved up (at most `limit` per status and level). */
    async age(cutoff: Date, limit: number): Promise<number> {
      let moved = 0;
      for (const { from, to } of MOVES) {
        for (const status of WAITING) moved += await move(status, from, to, cutoff, limit);
      }
      return moved;
    },
  };
}
