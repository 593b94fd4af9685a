import type { JobStatus } from '@genq/core';
import type { Database } from './client.ts';

/** The reads and writes of priority aging: waiting rows that have waited long at one level. */
export function createAgingRepository(db: Database) {
  return {
    /**
     * Waiting rows of `status` at priority `level` that were created before `cutoff` and
     * have not changed since (their wait at this level started before it), oldest first.
     */
    async candidates(
      status: JobStatus,
      level: number,
      cutoff: Date,
      limit: number,
    ): Promise<{ id: string; generator: string }[]> {
      return db.job.findMany({
        where: { status, priority: level, createdAt: { lt: cutoff }, updatedAt: { lt: cutoff } },
        orderBy: { createdAt: 'asc' },
        take: limit,
        select: { id: true, generator: true },
      });
    },

    /** Moves rows still waiting in `status` at `from` up to `to`; the count that moved. */
    async raise(ids: string[], status: JobStatus, from: number, to: number): Promise<number> {
      const { count } = await db.job.updateMany({
        where: { id: { in: ids }, status, priority: from },
        // Stated, not left to Prisma's @updatedAt: the next level's wait starts now.
        data: { priority: to, updatedAt: new Date() },
      });
      return count;
    },
  };
}

export type AgingRepository = ReturnType<typeof createAgingRepository>;
