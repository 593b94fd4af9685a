import type { Database } from './client.ts';
import type { ClientTier } from './generated/client.ts';

/** What the fair scheduler reads from PostgreSQL: client limits and the running jobs. */
export function createSchedulingRepository(db: Database) {
  return {
    /** Tier and max_concurrency of each of `ids` that exists. */
    async clientLimits(
      ids: string[],
    ): Promise<{ id: string; tier: ClientTier; maxConcurrency: number | null }[]> {
      if (ids.length === 0) return [];
      return db.client.findMany({
        where: { id: { in: ids } },
        select: { id: true, tier: true, maxConcurrency: true },
      });
    },

    /** Every running job (bounded by the fleet's job slots), read from the status index. */
    async runningJobs(): Promise<
      { id: string; clientId: string | null; generator: string; priority: number }[]
    > {
      return db.job.findMany({
        where: { status: 'running' },
        select: { id: true, clientId: true, generator: true, priority: true },
      });
    },
  };
}

export type SchedulingRepository = ReturnType<typeof createSchedulingRepository>;
