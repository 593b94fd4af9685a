import type { Redis } from 'ioredis';
import type { Logger } from '@genq/core';
import { jobEventFromRecord, type JobRecord, type RecoveryRepository } from '@genq/db';
import {
  createRedisLock,
  liveWorkers,
  queueNameFor,
  recordOutcome,
  type JobEventPublisher,
  type JobQueue,
  type RedisKeys,
  type WebhookNotifier,
} from '@genq/queue';

export interface ReconcilerDeps {
  redis: Redis;
  keys: RedisKeys;
  prefix: string;
  recovery: RecoveryRepository;
  queue: JobQueue;
  publisher: JobEventPublisher;
  logger: Logger;
  ownerId: string;
  /** A running row untouched for this long, whose worker has no heartbeat, is settled. */
  abandonedAfterMs?: number;
  /** Enqueues the `failed` webhook delivery of a job it fails. */
  webhooks?: Pick<WebhookNotifier, 'notify'>;
  /** Fair scheduling: puts the clients' running slots back in line with PostgreSQL. */
  repairScheduler?: () => Promise<{ released: number; added: number }>;
}

export interface ReconcileReport {
  reenqueued: number;
  released: number;
  failed: number;
}

const PAGE = 1000;

/**
 * PostgreSQL is the source of truth; this puts Redis back in line with it. It re-enqueues
 * waiting rows whose BullMQ job is missing (a Redis flush or restart, a crash between the
 * API's two writes) and settles running rows left by a worker that died (another attempt
 * within the budget, else failed). One process at a time, under a Redis lock.
 */
export function createReconciler(deps: ReconcilerDeps) {
  const abandonedAfterMs = deps.abandonedAfterMs ?? 60_000;
  const lock = createRedisLock(deps.redis, deps.keys.reconcilerLock, deps.ownerId, 120_000);

  async function missingFromRedis(rows: JobRecord[]): Promise<JobRecord[]> {
    const pipeline = deps.redis.pipeline();
    for (const row of rows) pipeline.exists(deps.keys.bullJob(queueNameFor(row.generator), row.id));
    const results = (await pipeline.exec()) ?? [];
    return rows.filter((_row, i) => results[i]?.[1] === 0);
  }

  async function reenqueueWaiting(): Promise<number> {
    let count = 0;
    let after: string | null = null;
    for (;;) {
      const page = await deps.recovery.waitingPage(after, PAGE);
      if (page.length === 0) return count;
      after = page.at(-1)!.id;
      // Held anywhere in Redis: BullMQ, or the fair scheduler's queues.
      const held = await deps.queue.holds(page);
      const missing = page.filter((_row, i) => !held[i]);
      if (missing.length > 0) {
        const now = Date.now();
        // Re-adding is harmless: BullMQ ignores a jobId it already holds.
        await deps.queue.enqueue(
          missing.map((row) => ({
            id: row.id,
            generator: row.generator,
            priority: row.priority,
            target: row.target,
            clientId: row.clientId,
            delayMs: row.nextAttemptAt ? Math.max(0, row.nextAttemptAt.getTime() - now) : undefined,
          })),
        );
        count += missing.length;
      }
    }
  }

  async function settleAbandoned(): Promise<{ released: number; failed: number }> {
    const live = new Set((await liveWorkers(deps.redis, deps.keys)).map((w) => w.id));
    const candidates = await deps.recovery.runningSince(
      new Date(Date.now() - abandonedAfterMs),
      PAGE,
    );
    const abandoned = candidates.filter((row) => !row.workerId || !live.has(row.workerId));
    // A job whose BullMQ entry still exists is BullMQ's to recover (stalled-job check).
    const orphaned = await missingFromRedis(abandoned);
    let released = 0;
    let failed = 0;
    for (const row of orphaned) {
      if (row.attempts < row.maxAttempts) {
        const back = await deps.recovery.releaseForRetry(row.id, row.workerId);
        if (!back) continue;
        await deps.queue.enqueue([
          {
            id: back.id,
            generator: back.generator,
            priority: back.priority,
            target: back.target,
            clientId: back.clientId,
          },
        ]);
        await deps.publisher.publish(jobEventFromRecord(back)).catch(() => undefined);
        released += 1;
      } else {
        const reason = `the worker running attempt ${row.attempts} of ${row.maxAttempts} stopped responding`;
        const settled = await deps.recovery.failAbandoned(row.id, row.workerId, reason);
        if (!settled) continue;
        await deps.publisher.publish(jobEventFromRecord(settled)).catch(() => undefined);
        await deps.webhooks?.notify(settled, 'failed');
        await recordOutcome(deps.redis, deps.prefix, {
          generator: settled.generator,
          outcome: 'failed',
          durationMs: null,
        }).catch(() => undefined);
        failed += 1;
      }
    }
    return { released, failed };
  }

  return {
    /** One pass; null when another process holds the reconciler lock. */
    async runOnce(): Promise<ReconcileReport | null> {
      if (!(await lock.acquire())) return null;
      try {
        const reenqueued = await reenqueueWaiting();
        const { released, failed } = await settleAbandoned();
        const report = { reenqueued, released, failed };
        if (reenqueued + released + failed > 0)
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
