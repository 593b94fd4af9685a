import type { JobStatus } from '@genq/core';
import type { Database } from './client.ts';
import type { Batch } from './generated/client.ts';
import type { JobRecord } from './jobs-repository.ts';

export type BatchRecord = Batch;

/** The jobs of a batch in one status: how many, and what their progress adds up to. */
export interface BatchStatusGroup {
  status: JobStatus;
  count: number;
  progressSum: number;
  /** Latest `completed_at` among these jobs (null while none has finished). */
  lastCompletedAt: Date | null;
}

export interface BatchState {
  batch: BatchRecord;
  groups: BatchStatusGroup[];
  /** In submission order (UUIDv7 ids are generated in order). */
  jobs: JobRecord[];
}

/**
 * Reads of the `batches` table and of jobs by batch. Batches are written (and rolled back)
 * by the jobs repository's `createBatch` / `deleteBatch`, together with their jobs.
 */
export function createBatchesRepository(db: Database) {
  return {
    /**
     * A batch, its jobs counted per status (one GROUP BY) and its jobs, read from one
     * snapshot (REPEATABLE READ) so the counts and the list agree. Null when unknown.
     */
    async loadState(id: string): Promise<BatchState | null> {
      const [batch, groups, jobs] = await db.$transaction(
        async (tx) =>
          Promise.all([
            tx.batch.findUnique({ where: { id } }),
            tx.job.groupBy({
              by: ['status'],
              where: { batchId: id },
              _count: { _all: true },
              _sum: { progress: true },
              _max: { completedAt: true },
            }),
            tx.job.findMany({ where: { batchId: id }, orderBy: { id: 'asc' } }),
          ]),
        { isolationLevel: 'RepeatableRead' },
      );
      if (!batch) return null;
      return {
        batch,
        groups: groups.map((group) => ({
          status: group.status,
          count: group._count._all,
          progressSum: group._sum.progress ?? 0,
          lastCompletedAt: group._max.completedAt,
        })),
        jobs,
      };
    },

    /** The client's batch submitted with this Idempotency-Key, with its job ids in order. */
    async findByIdempotencyKey(
      clientId: string | null,
      key: string,
    ): Promise<(BatchRecord & { jobs: { id: string }[] }) | null> {
      return db.batch.findFirst({
        where: { clientId, idempotencyKey: key },
        include: { jobs: { select: { id: true }, orderBy: { id: 'asc' } } },
      });
    },

    /** A batch and its jobs in submission order; null when unknown. */
    async findWithJobs(id: string): Promise<(BatchRecord & { jobs: JobRecord[] }) | null> {
      return db.batch.findUnique({
        where: { id },
        include: { jobs: { orderBy: { id: 'asc' } } },
      });
    },
  };
}

export type BatchesRepository = ReturnType<typeof createBatchesRepository>;
