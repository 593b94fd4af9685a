import type { Redis } from 'ioredis';
import type { Logger } from '@genq/core';
import type { JobLifecycle, RescueReport } from '@genq/jobs';
import { createRedisLock, liveWorkers, type RedisKeys } from '@genq/queue';

export interface ReconcilerDeps {
  redis: Redis;
  keys: RedisKeys;
  lifecycle: Pick<JobLifecycle, 'rescue'>;
  logger: Logger;
  ownerId: string;
  /** A running row untouched for this long may be rescued (default 60 s). */
  abandonedAfterMs?: number;
  /** Fair scheduling: puts the clients' running slots back in line with PostgreSQL. */
  repairScheduler?: () => Promise<{ released: number; added: number }>;
}

export type ReconcileReport = RescueReport;

/**
 * Runs the lifecycle's rescue (re-enqueue waiting rows Redis lost, settle running rows
 * nobody will finish) in one process at a time, under a Redis lock, then repairs the fair
 * scheduler's running slots.
 */
export function createReconciler(deps: ReconcilerDeps) {
  const abandonedAfterMs = deps.abandonedAfterMs ?? 60_000;
  const lock = createRedisLock(deps.redis, deps.keys.reconcilerLock, deps.ownerId, 120_000);

  return {
    /** One pass; null when another process holds the reconciler lock. */
    async runOnce(): Promise<ReconcileReport | null> {
      if (!(await lock.acquire())) return null;
      try {
        const live = await liveWorkers(deps.redis, deps.keys);
        const report = await deps.lifecycle.rescue(new Date(Date.now() - abandonedAfterMs), live);
        if (report.reenqueued + report.released + report.failed > 0)
          deps.logger.warn('reconciler repaired the queue', report);
        const slots = await deps.repairScheduler?.();
        if (slots && slots.released + slots.added > 0)
          deps.logger.warn('reconciler repaired running slots', slots);
        return report;
      } finally {
        await lock.release().catch(() => undefined);
      }
    },
  };
}

export type Reconciler = ReturnType<typeof createReconciler>;
