import type { Database } from './client.ts';
import type { JobRecord } from './jobs-repository.ts';

/** The reads and writes of the reconciler: rows that may have lost their place in Redis. */
export function createRecoveryRepository(db: Database) {
  return {
    /** Waiting rows (queued or retrying), a page at a time in id order. */
    async waitingPage(afterId: string | null, limit: number): Promise<JobRecord[]> {
      return db.job.findMany({
        where: {
          status: { in: ['queued', 'retrying'] },
          ...(afterId ? { id: { gt: afterId } } : {}),
        },
        orderBy: { id: 'asc' },
        take: limit,
      });
    },

    /** Running rows not updated since `before` (their worker may have died). */
    async runningSince(before: Date, limit: number): Promise<JobRecord[]> {
      return db.job.findMany({
        where: { status: 'running', updatedAt: { lt: before } },
        orderBy: { updatedAt: 'asc' },
        take: limit,
      });
    },

    /**
     * Puts a running row whose worker died back in line for another attempt. Guarded by
     * the worker id so a job that moved on meanwhile is left alone.
     */
    async releaseForRetry(id: string, workerId: string | null): Promise<JobRecord | null> {
      const [row] = await db.job.updateManyAndReturn({
        where: { id, status: 'running', workerId },
        data: {
          status: 'queued',
          currentStep: 'queued',
          progress: 0,
          message: 'requeued: the worker running it stopped responding',
          workerId: null,
        },
      });
      return row ?? null;
    },

    async failAbandoned(
      id: string,
      workerId: string | null,
      reason: string,
    ): Promise<JobRecord | null> {
      const [row] = await db.job.updateManyAndReturn({
        where: { id, status: 'running', workerId },
        data: {
          status: 'failed',
          currentStep: 'failed',
          message: reason,
          error: reason,
          errorCode: 'worker_lost',
          completedAt: new Date(),
        },
      });
      return row ?? null;
    },
  };
}

export type RecoveryRepository = ReturnType<typeof createRecoveryRepository>;
