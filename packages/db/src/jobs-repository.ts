import type { JobStatus } from '@genq/core';
import type { Database } from './client.ts';
import { Prisma, type Job } from './generated/client.ts';

export type JobRecord = Job;

export interface NewJob {
  id: string;
  clientId: string | null;
  batchId: string | null;
  generator: string;
  input: unknown;
  priority: number;
  maxAttempts: number;
  idempotencyKey: string | null;
  target: string | null;
  /** Webhook subscription `{url, events}`, already checked; absent or null = none. */
  webhook?: unknown;
}

export interface ListJobsQuery {
  clientId: string | null;
  /** Id of the last job of the previous page; ids are time-ordered (UUIDv7). */
  before?: string;
  limit: number;
  status?: JobStatus;
  batchId?: string;
}

export interface JobResult {
  path: string;
  size: bigint;
  files: number;
  meta: Record<string, unknown> | null;
}

const ACTIVE: JobStatus[] = ['queued', 'retrying', 'running'];

/** Every read and write of the `jobs` table. Status changes are guarded by the current status. */
export function createJobsRepository(db: Database) {
  return {
    async create(job: NewJob): Promise<JobRecord> {
      return db.job.create({ data: toCreateInput(job) });
    },

    /** Inserts a batch and its jobs in one transaction: all or nothing. */
    async createBatch(
      batch: { id: string; clientId: string | null },
      jobs: NewJob[],
    ): Promise<void> {
      await db.$transaction([
        db.batch.create({
          data: { id: batch.id, clientId: batch.clientId, totalJobs: jobs.length },
        }),
        db.job.createMany({ data: jobs.map(toCreateInput) }),
      ]);
    },

    async deleteBatch(id: string): Promise<void> {
      await db.batch.delete({ where: { id } });
    },

    async findById(id: string): Promise<JobRecord | null> {
      return db.job.findUnique({ where: { id } });
    },

    async findByIdempotencyKey(clientId: string | null, key: string): Promise<JobRecord | null> {
      return db.job.findFirst({ where: { clientId, idempotencyKey: key } });
    },

    async list(query: ListJobsQuery): Promise<JobRecord[]> {
      return db.job.findMany({
        where: {
          clientId: query.clientId ?? undefined,
          status: query.status,
          batchId: query.batchId,
          id: query.before ? { lt: query.before } : undefined,
        },
        orderBy: { id: 'desc' },
        take: query.limit,
      });
    },

    async delete(id: string): Promise<void> {
      await db.job.delete({ where: { id } });
    },

    /**
     * Claims the job for a new attempt. Returns null when the job is no longer runnable
     * (cancelled, finished, deleted), so the worker drops it.
     */
    async startAttempt(id: string, workerId: string): Promise<JobRecord | null> {
      const [row] = await db.job.updateManyAndReturn({
        where: { id, status: { in: ACTIVE }, cancelRequestedAt: null },
        data: {
          status: 'running',
          currentStep: 'loading_model',
          progress: 0,
          message: null,
          attempts: { increment: 1 },
          workerId,
          nextAttemptAt: null,
          startedAt: new Date(),
          completedAt: null,
        },
      });
      return row ?? null;
    },

    async recordProgress(
      id: string,
      step: string,
      progress: number,
      message: string | null,
    ): Promise<void> {
      await db.job.updateMany({
        where: { id, status: 'running' },
        data: { currentStep: step, progress, message },
      });
    },

    async markCompleted(id: string, result: JobResult): Promise<JobRecord | null> {
      const [row] = await db.job.updateManyAndReturn({
        where: { id, status: 'running' },
        data: {
          status: 'completed',
          currentStep: 'completed',
          progress: 100,
          message: 'completed',
          error: null,
          errorCode: null,
          resultPath: result.path,
          resultSize: result.size,
          resultFiles: result.files,
          resultMeta: (result.meta ?? Prisma.DbNull) as Prisma.InputJsonValue,
          completedAt: new Date(),
        },
      });
      return row ?? null;
    },

    /** Ends the job as failed from any active status. */
    async markFailed(id: string, errorCode: string, error: string): Promise<JobRecord | null> {
      const [row] = await db.job.updateManyAndReturn({
        where: { id, status: { in: ACTIVE } },
        data: {
          status: 'failed',
          currentStep: 'failed',
          message: error,
          error,
          errorCode,
          nextAttemptAt: null,
          completedAt: new Date(),
        },
      });
      return row ?? null;
    },

    async markRetrying(id: string, error: string, nextAttemptAt: Date): Promise<JobRecord | null> {
      const [row] = await db.job.updateManyAndReturn({
        where: { id, status: 'running' },
        data: {
          status: 'retrying',
          currentStep: 'queued',
          message: `attempt failed, retrying at ${nextAttemptAt.toISOString()}`,
          error,
          errorCode: 'attempt_failed',
          nextAttemptAt,
          workerId: null,
        },
      });
      return row ?? null;
    },

    /** Hands a running job back to the queue (worker shutdown): the attempt does not count. */
    async requeue(id: string): Promise<JobRecord | null> {
      const [row] = await db.job.updateManyAndReturn({
        where: { id, status: 'running' },
        data: {
          status: 'queued',
          currentStep: 'queued',
          progress: 0,
          message: 'requeued: the worker stopped',
          attempts: { decrement: 1 },
          workerId: null,
        },
      });
      return row ?? null;
    },

    /** Cancels a job from `from` statuses; null when it was no longer in one of them. */
    async markCancelled(id: string, from: JobStatus[]): Promise<JobRecord | null> {
      const [row] = await db.job.updateManyAndReturn({
        where: { id, status: { in: from } },
        data: {
          status: 'cancelled',
          currentStep: 'cancelled',
          message: 'cancelled',
          nextAttemptAt: null,
          completedAt: new Date(),
        },
      });
      return row ?? null;
    },

    /** Of `ids`, those whose cancellation was requested. */
    async findCancelRequested(ids: string[]): Promise<string[]> {
      const rows = await db.job.findMany({
        where: { id: { in: ids }, cancelRequestedAt: { not: null } },
        select: { id: true },
      });
      return rows.map((r) => r.id);
    },

    /** Records a cancel request on a running job; the worker running it acts on it. */
    async requestCancel(id: string): Promise<JobRecord | null> {
      const [row] = await db.job.updateManyAndReturn({
        where: { id, status: 'running' },
        data: { cancelRequestedAt: new Date() },
      });
      return row ?? null;
    },
  };
}

export type JobsRepository = ReturnType<typeof createJobsRepository>;

function toCreateInput(job: NewJob): Prisma.JobCreateManyInput {
  return {
    id: job.id,
    clientId: job.clientId,
    batchId: job.batchId,
    generator: job.generator,
    input: job.input as Prisma.InputJsonValue,
    priority: job.priority,
    maxAttempts: job.maxAttempts,
    idempotencyKey: job.idempotencyKey,
    target: job.target,
    ...(job.webhook ? { webhook: job.webhook as Prisma.InputJsonValue } : {}),
  };
}
