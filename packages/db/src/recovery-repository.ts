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
    async releaseForRetry(row: JobRecord): Promise<JobRecord | null> {
      const [back] = await db.job.updateManyAndReturn({
        where: { id: row.id, status: 'running', workerId: row.workerId, attempts: row.attempts },
        data: {
          status: 'queued',
          currentStep: 'queued',
          progress: 0,
          message: 'requeued: the worker running it stopped responding',
          workerId: null,
          // Its attempt ended without an outcome: two of those make the job poison.
          interruptions: { increment: 1 },
        },
      });
      return back ?? null;
    },

    async failAbandoned(row: JobRecord, reason: string): Promise<JobRecord | null> {
      const [failed] = await db.job.updateManyAndReturn({
        where: { id: row.id, status: 'running', workerId: row.workerId, attempts: row.attempts },
        data: {
          status: 'failed',
          currentStep: 'failed',
          message: reason,
          error: reason,
          errorCode: 'worker_lost',
          completedAt: new Date(),
        },
      });
      return failed ?? null;
    },
  };
}

export type RecoveryRepository = ReturnType<typeof createRecoveryRepository>;
