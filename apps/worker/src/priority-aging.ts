import type { Redis } from 'ioredis';
import { PRIORITIES, type JobStatus, type Logger } from '@genq/core';
import type { Database } from '@genq/db';
import { createRedisLock, type JobQueue } from '@genq/queue';

export interface PriorityAgingDeps {
  db: Database;
  redis: Redis;
  prefix: string;
  /** Producer queues of every generator (jobs of any generator may age). */
  queue: JobQueue;
  logger: Logger;
  ownerId: string;
  /** A job moves up one level after waiting this long; 0 disables aging. */
  thresholdSeconds: number;
  /** How often a round runs, across all worker processes (default 10 s). */
  intervalMs?: number;
  /** Most jobs moved per (status, level) per round (default 1000). */
  batchSize?: number;
}

/** Statuses of jobs waiting for a worker: queued, or between attempts. */
const WAITING: JobStatus[] = ['queued', 'retrying'];
/** Levels that can move up, and where they go. */
const MOVES = [
  { from: PRIORITIES.NORMAL, to: PRIORITIES.HIGH },
  { from: PRIORITIES.LOW, to: PRIORITIES.NORMAL },
];

/**
 * Priority aging, so LOW never starves behind a stream of HIGH jobs.
 *
 * What "waited" means: time since the job was created, and since its row last changed while
 * it waited (its previous move up, a hand-back by a stopping worker, a retry being
 * scheduled). So a LOW job becomes NORMAL after one threshold and HIGH after a second one;
 * a NORMAL job becomes HIGH after one. Checked as `created_at < now - threshold AND
 * updated_at < now - threshold`: the row keeps no record of its original priority, and
 * updated_at moves exactly when the job's wait at its current level restarts.
 *
 * A round, every `intervalMs`, in whichever worker process holds the lock
 * `<prefix>:lock:priority-aging` (SET NX PX interval, not released, so rounds are at most
 * one per interval across the fleet): per waiting status and level, one indexed query on
 * jobs(status, priority, created_at) takes the oldest `batchSize` candidates; each moves
 * in BullMQ first (changePriority: it leaves the old level and joins the back of the new
 * one, like a job of that level added now), then in its row, guarded by status and old
 * priority. BullMQ first: if the row update is lost, the next round repeats both steps, so
 * the two converge; a job that starts in between keeps its old row priority, which no
 * longer matters. Rounds that overlap (one slower than the lock) are harmless for the same
 * reason: the guarded update applies once.
 */
export function createPriorityAging(deps: PriorityAgingDeps) {
  const intervalMs = deps.intervalMs ?? 10_000;
  const batchSize = deps.batchSize ?? 1000;
  const lock = createRedisLock(
    deps.redis,
    `${deps.prefix}:lock:priority-aging`,
    deps.ownerId,
    intervalMs,
  );

  async function move(status: JobStatus, from: number, to: number, cutoff: Date): Promise<number> {
    const candidates = await deps.db.job.findMany({
      where: { status, priority: from, createdAt: { lt: cutoff }, updatedAt: { lt: cutoff } },
      orderBy: { createdAt: 'asc' },
      take: batchSize,
      select: { id: true, generator: true },
    });
    if (candidates.length === 0) return 0;
    const results = await Promise.allSettled(
      // Strict mode: BullMQ's changePriority; fair mode: the job moves to its client's
      // queue of the next lane (docs/scheduling.md).
      candidates.map((row) =>
        deps.queue.changePriority({ id: row.id, generator: row.generator, priority: to }),
      ),
    );
    // A job missing from Redis is left to the reconciler, which re-adds it with the row's
    // priority; it ages on a later round.
    const moved = candidates.filter((_row, i) => {
      const result = results[i];
      return result?.status === 'fulfilled' && result.value;
    });
    if (moved.length === 0) return 0;
    const { count } = await deps.db.job.updateMany({
      where: { id: { in: moved.map((row) => row.id) }, status, priority: from },
      // Stated, not left to Prisma's @updatedAt: the next level's wait starts now.
      data: { priority: to, updatedAt: new Date() },
    });
    return count;
  }

  /** One round; the number of jobs moved up, or null when another process holds the turn. */
  async function runOnce(now = Date.now()): Promise<number | null> {
    if (deps.thresholdSeconds <= 0) return 0;
    if (!(await lock.acquire())) return null;
    const cutoff = new Date(now - deps.thresholdSeconds * 1000);
    let moved = 0;
    // NORMAL → HIGH before LOW → NORMAL, so a job moves at most one level per round.
    for (const { from, to } of MOVES) {
      for (const status of WAITING) moved += await move(status, from, to, cutoff);
    }
    if (moved > 0) deps.logger.info('priority aging moved jobs up', { moved });
    return moved;
  }

  let timer: NodeJS.Timeout | undefined;
  let round: Promise<unknown> = Promise.resolve();
  return {
    runOnce,
    start(): void {
      if (deps.thresholdSeconds <= 0 || timer) return;
      const tick = (): void => {
        round = runOnce().catch((error: unknown) =>
          deps.logger.warn('priority aging round failed', { error: String(error) }),
        );
      };
      timer = setInterval(tick, intervalMs);
      tick();
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      timer = undefined;
      await round;
    },
  };
}

export type PriorityAging = ReturnType<typeof createPriorityAging>;
