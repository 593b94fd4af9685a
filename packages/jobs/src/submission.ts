import { GenqError, ServiceUnavailableError, type Logger } from '@genq/core';
import type { JobRecord, JobsRepository, NewJob } from '@genq/db';
import type { EnqueueRequest, JobQueue } from '@genq/queue';

export interface SubmissionDeps {
  jobs: JobsRepository;
  queue: JobQueue;
  logger: Logger;
}

/** What the queue needs of a job: where it goes, its priority, client and target. */
export const enqueueRequest = (job: NewJob | JobRecord, delayMs?: number): EnqueueRequest => ({
  id: job.id,
  generator: job.generator,
  priority: job.priority,
  target: job.target,
  clientId: job.clientId,
  ...(delayMs !== undefined ? { delayMs } : {}),
});

/**
 * The submit transition: the row is written first, then the job is queued. If queueing
 * fails, what was written is removed and the error goes to the caller (503): nothing is
 * left half-written, and a job is accepted only once both writes have landed.
 */
export function createSubmission(deps: SubmissionDeps) {
  return {
    async submit(job: NewJob): Promise<JobRecord> {
      const row = await deps.jobs.create(job);
      try {
        await deps.queue.enqueue([enqueueRequest(row)]);
      } catch (error) {
        await deps.jobs.delete(row.id).catch(() => undefined);
        throw error;
      }
      return row;
    },

    /**
     * A batch: its row and every job row in one transaction, then one enqueue per generator
     * queue, one queue after the other. BullMQ's `addBulk` is a pipeline, not a MULTI, so
     * a failing queue may hold some of its jobs: on any failure the rows go first (the jobs
     * cascade with the batch; a worker that receives one of them finds no row and drops it,
     * one that had just claimed it has its completion refused), then every job is removed
     * from its queue. Queues are filled one at a time so no enqueue is in flight then.
     */
    async submitBatch(
      batch: Parameters<JobsRepository['createBatch']>[0],
      jobs: NewJob[],
    ): Promise<void> {
      await deps.jobs.createBatch(batch, jobs);
      const byGenerator = new Map<string, EnqueueRequest[]>();
      for (const job of jobs) {
        const list = byGenerator.get(job.generator) ?? [];
        list.push(enqueueRequest(job));
        byGenerator.set(job.generator, list);
      }
      try {
        for (const list of byGenerator.values()) await deps.queue.enqueue(list);
      } catch (error) {
        deps.logger.warn('enqueueing a batch failed, rolling it back', {
          batchId: batch.id,
          error: String(error),
        });
        await rollback(batch.id, jobs);
        if (error instanceof GenqError) throw error;
        throw new ServiceUnavailableError('the job queue is unavailable', 5, { cause: error });
      }
    },
  };

  async function rollback(batchId: string, jobs: NewJob[]): Promise<void> {
    try {
      await deps.jobs.deleteBatch(batchId);
    } catch (error) {
      deps.logger.error('could not delete a batch whose enqueueing failed', {
        batchId,
        error: String(error),
      });
    }
    const removals = await Promise.allSettled(
      jobs.map((job) => deps.queue.remove(job.generator, job.id)),
    );
    const failed = removals.filter((r) => r.status === 'rejected').length;
    if (failed > 0) {
      deps.logger.warn('could not remove some jobs of a failed batch from Redis', {
        batchId,
        failed,
      });
    }
  }
}
