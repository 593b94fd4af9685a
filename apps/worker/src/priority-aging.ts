import type { Redis } from 'ioredis';
import type { Logger } from '@genq/core';
import type { JobLifecycle } from '@genq/jobs';
import { createRedisLock } from '@genq/queue';

export interface PriorityAgingDeps {
  lifecycle: Pick<JobLifecycle, 'age'>;
  redis: Redis;
  prefix: string;
  logger: Logger;
  ownerId: string;
  /** A job moves up one level after waiting this long; 0 disables aging. */
  thresholdSeconds: number;
  /** How often a round runs, across all worker processes (default 10 s). */
  intervalMs?: number;
  /** Most jobs moved per (status, level) per round (default 1000). */
  batchSize?: number;
}

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
 * one per interval across the fleet): the lifecycle's age transition, for the oldest
 * `batchSize` candidates per waiting status and level (packages/jobs/src/aging.ts). Rounds
 * that overlap (one slower than the lock) are harmless: each move is guarded.
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

  /** One round; the number of jobs moved up, or null when another process holds the turn. */
  async function runOnce(now = Date.now()): Promise<number | null> {
    if (deps.thresholdSeconds <= 0) return 0;
    if (!(await lock.acquire())) return null;
    const cutoff = new Date(now - deps.thresholdSeconds * 1000);
    const moved = await deps.lifecycle.age(cutoff, batchSize);
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
