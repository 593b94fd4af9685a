import type { JobStatus } from '@genq/core';
import type { Database } from './client.ts';
import { coalesce } from './coalesce.ts';
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
  /** Wall time of one attempt the client asked for; absent or null = the generator's limit. */
  timeoutMs?: number | null;
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
  /** Relative to the artifacts directory; null when the job wrote no files (an empty ZIP). */
  path: string | null;
  size: bigint;
  files: number;
  meta: Record<string, unknown> | null;
}

const ACTIVE: JobStatus[] = ['queued', 'retrying', 'running'];

/**
 * Who may end an attempt: the worker that claimed it, for that attempt only. A row rescued
 * by the reconciler and claimed again has a new attempt number (or worker), so a late write
 * from the earlier attempt finds nothing to change.
 */
export interface AttemptGuard {
  id: string;
  workerId: string;
  attempt: number;
}

/** The row is running the attempt `guard` names. */
const runningAttempt = (guard: AttemptGuard) => ({
  id: guard.id,
  status: 'running' as const,
  workerId: guard.workerId,
  attempts: guard.attempt,
});

/** A JSON value as a statement parameter (`…::jsonb`); absent or null is SQL NULL. */
const jsonParam = (value: unknown): string | null =>
  value === undefined || value === null ? null : JSON.stringify(value);

/** Each field of a job row and its column, for raw statements that return whole rows. */
const JOB_COLUMNS: Record<keyof JobRecord, string> = {
  id: 'id',
  clientId: 'client_id',
  batchId: 'batch_id',
  generator: 'generator',
  input: 'input',
  priority: 'priority',
  status: 'status',
  currentStep: 'current_step',
  progress: 'progress',
  message: 'message',
  attempts: 'attempts',
  maxAttempts: 'max_attempts',
  interruptions: 'interruptions',
  timeoutMs: 'timeout_ms',
  error: 'error',
  errorCode: 'error_code',
  resultPath: 'result_path',
  resultSize: 'result_size',
  resultFiles: 'result_files',
  resultMeta: 'result_meta',
  nextAttemptAt: 'next_attempt_at',
  workerId: 'worker_id',
  cancelRequestedAt: 'cancel_requested_at',
  idempotencyKey: 'idempotency_key',
  target: 'target',
  webhook: 'webhook',
  webhookLastDelivery: 'webhook_last_delivery',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  startedAt: 'started_at',
  completedAt: 'completed_at',
};
const RETURNING_JOB = Prisma.raw(
  Object.entries(JOB_COLUMNS)
    .map(([field, column]) => `j.${column} AS "${field}"`)
    .join(', '),
);

/**
 * Every read and write of the `jobs` table. Status changes are guarded by the current status.
 *
 * The three statements on every job's path (insert, claim, completion) are written in SQL:
 * one statement each, alone or for many rows, without the ORM's query building (about half a
 * millisecond of CPU per call on the path a one-job latency waits for).
 */
export function createJobsRepository(db: Database) {
  // A worker claims and completes many jobs at once: under load these calls share statements
  // (and commits) instead of taking one round trip each; every row keeps its own guard.
  const startMany = async (items: { id: string; workerId: string }[]) => {
    const workerId = items[0]!.workerId;
    if (items.some((item) => item.workerId !== workerId)) throw new Error('mixed workers');
    const now = new Date();
    const rows = await db.$queryRaw<JobRecord[]>`
      UPDATE jobs AS j
         SET status = 'running', current_step = 'loading_model', progress = 0, message = NULL,
             attempts = j.attempts + 1, worker_id = ${workerId}, next_attempt_at = NULL,
             interruptions = j.interruptions + (j.status = 'running')::int,
             started_at = ${now}::timestamptz, completed_at = NULL,
             updated_at = ${now}::timestamptz
       WHERE j.id = ANY(${items.map((item) => item.id)}::uuid[])
         AND j.status = ANY(${ACTIVE}::"JobStatus"[]) AND j.cancel_requested_at IS NULL
      RETURNING ${RETURNING_JOB}`;
    const byId = new Map(rows.map((row) => [row.id, row]));
    return items.map((item) => byId.get(item.id) ?? null);
  };
  const startAttempt = coalesce<{ id: string; workerId: string }, JobRecord | null>({
    key: (item) => item.id,
    runOne: async (item) => (await startMany([item]))[0] ?? null,
    runMany: startMany,
  });

  const completeMany = async (items: { guard: AttemptGuard; result: JobResult }[]) => {
    const now = new Date();
    const values = Prisma.join(
      items.map(
        ({ guard, result }) =>
          Prisma.sql`(${guard.id}::uuid, ${guard.workerId}::text, ${guard.attempt}::int, ${result.path}::text, ${result.size}::bigint, ${result.files}::int, ${jsonParam(result.meta)}::jsonb)`,
      ),
    );
    const rows = await db.$queryRaw<JobRecord[]>`
      UPDATE jobs AS j
         SET status = 'completed', current_step = 'completed', progress = 100,
             message = 'completed', error = NULL, error_code = NULL,
             result_path = v.path, result_size = v.size, result_files = v.files,
             result_meta = v.meta, completed_at = ${now}::timestamptz,
             updated_at = ${now}::timestamptz
        FROM (VALUES ${values}) AS v(id, worker, attempt, path, size, files, meta)
       WHERE j.id = v.id AND j.status = 'running' AND j.worker_id = v.worker
         AND j.attempts = v.attempt
      RETURNING ${RETURNING_JOB}`;
    const byId = new Map(rows.map((row) => [row.id, row]));
    return items.map((item) => byId.get(item.guard.id) ?? null);
  };
  // Reads of many jobs at once (WebSocket snapshots) share statements: one per round trip.
  const findByIdShared = coalesce<string, JobRecord | null>({
    key: (id) => id,
    runOne: (id) => db.job.findUnique({ where: { id } }),
    runMany: async (ids) => {
      const rows = await db.job.findMany({ where: { id: { in: ids } } });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    },
    maxBatch: 200,
  });

  const markCompleted = coalesce<{ guard: AttemptGuard; result: JobResult }, JobRecord | null>({
    key: (item) => item.guard.id,
    runOne: async (item) => (await completeMany([item]))[0] ?? null,
    runMany: completeMany,
  });
  const cancel = async (where: Prisma.JobWhereInput): Promise<JobRecord | null> => {
    const [row] = await db.job.updateManyAndReturn({
      where,
      data: {
        status: 'cancelled',
        currentStep: 'cancelled',
        message: 'cancelled',
        nextAttemptAt: null,
        completedAt: new Date(),
      },
    });
    return row ?? null;
  };

  return {
    async create(job: NewJob): Promise<JobRecord> {
      const now = new Date();
      const [row] = await db.$queryRaw<JobRecord[]>`
        INSERT INTO jobs AS j (id, client_id, batch_id, generator, input, priority, max_attempts,
                               idempotency_key, target, webhook, timeout_ms, created_at, updated_at)
        VALUES (${job.id}::uuid, ${job.clientId}::uuid, ${job.batchId}::uuid, ${job.generator},
                ${jsonParam(job.input)}::jsonb, ${job.priority}::int, ${job.maxAttempts}::int,
                ${job.idempotencyKey}::text, ${job.target}::text, ${jsonParam(job.webhook)}::jsonb,
                ${job.timeoutMs ?? null}::int, ${now}::timestamptz, ${now}::timestamptz)
        RETURNING ${RETURNING_JOB}`;
      return row!;
    },

    /**
     * Inserts a batch and its jobs in one transaction: all or nothing. A batch whose
     * `idempotencyKey` its client already used fails with a unique violation.
     */
    async createBatch(
      batch: {
        id: string;
        clientId: string | null;
        idempotencyKey?: string | null;
        requestHash?: string | null;
      },
      jobs: NewJob[],
    ): Promise<void> {
      const now = new Date();
      const column = <K extends keyof NewJob>(key: K) => jobs.map((job) => job[key] ?? null);
      await db.$transaction([
        db.batch.create({
          data: {
            id: batch.id,
            clientId: batch.clientId,
            totalJobs: jobs.length,
            idempotencyKey: batch.idempotencyKey ?? null,
            requestHash: batch.requestHash ?? null,
          },
        }),
        // One array per column: 11 parameters whatever the batch size, where createMany binds
        // 11 per job and spends about 0.3 ms of CPU per job building the statement.
        db.$executeRaw`
          INSERT INTO jobs (id, client_id, batch_id, generator, input, priority, max_attempts,
                            idempotency_key, target, webhook, timeout_ms, created_at, updated_at)
          SELECT t.*, ${now}::timestamptz, ${now}::timestamptz
            FROM unnest(${column('id')}::uuid[], ${column('clientId')}::uuid[],
                        ${column('batchId')}::uuid[], ${column('generator')}::text[],
                        ${jobs.map((job) => jsonParam(job.input))}::jsonb[],
                        ${column('priority')}::int[], ${column('maxAttempts')}::int[],
                        ${column('idempotencyKey')}::text[], ${column('target')}::text[],
                        ${jobs.map((job) => jsonParam(job.webhook))}::jsonb[],
                        ${column('timeoutMs')}::int[]) AS t`,
      ]);
    },

    async deleteBatch(id: string): Promise<void> {
      await db.batch.delete({ where: { id } });
    },

    async findById(id: string): Promise<JobRecord | null> {
      return db.job.findUnique({ where: { id } });
    },

    /** As findById; calls made while one is in flight share the next statement. */
    findByIdShared,

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

    /** How many of one client's jobs are in each status (one grouped count on its rows). */
    async countByStatusForClient(clientId: string): Promise<Record<JobStatus, number>> {
      const rows = await db.job.groupBy({
        by: ['status'],
        where: { clientId },
        _count: { _all: true },
      });
      const counts: Record<JobStatus, number> = {
        queued: 0,
        running: 0,
        retrying: 0,
        completed: 0,
        failed: 0,
        cancelled: 0,
      };
      for (const row of rows) counts[row.status as JobStatus] = row._count._all;
      return counts;
    },

    /**
     * When the oldest waiting job (queued or retrying) was created. Six index probes on
     * jobs(status, priority, created_at), the first entry of each (status, priority) range,
     * in one statement: min() over a whole status would scan it instead, because created_at
     * is ordered only within a (status, priority) prefix.
     */
    async oldestWaitingCreatedAt(): Promise<Date | null> {
      const rows = await db.$queryRaw<{ oldest: Date | null }[]>`
        SELECT min(created_at) AS oldest FROM (
          (SELECT created_at FROM jobs WHERE status = 'queued' AND priority = 1 ORDER BY created_at LIMIT 1)
          UNION ALL
          (SELECT created_at FROM jobs WHERE status = 'queued' AND priority = 2 ORDER BY created_at LIMIT 1)
          UNION ALL
          (SELECT created_at FROM jobs WHERE status = 'queued' AND priority = 3 ORDER BY created_at LIMIT 1)
          UNION ALL
          (SELECT created_at FROM jobs WHERE status = 'retrying' AND priority = 1 ORDER BY created_at LIMIT 1)
          UNION ALL
          (SELECT created_at FROM jobs WHERE status = 'retrying' AND priority = 2 ORDER BY created_at LIMIT 1)
          UNION ALL
          (SELECT created_at FROM jobs WHERE status = 'retrying' AND priority = 3 ORDER BY created_at LIMIT 1)
        ) AS heads`;
      const oldest = rows[0]?.oldest;
      return oldest ? new Date(oldest) : null;
    },

    async delete(id: string): Promise<void> {
      await db.job.delete({ where: { id } });
    },

    /**
     * Claims the job for a new attempt. Returns null when the job is no longer runnable
     * (cancelled, finished, deleted), so the worker drops it.
     */
    async startAttempt(id: string, workerId: string): Promise<JobRecord | null> {
      return startAttempt({ id, workerId });
    },

    async recordProgress(
      guard: AttemptGuard,
      step: string,
      progress: number,
      message: string | null,
    ): Promise<void> {
      await db.job.updateMany({
        where: runningAttempt(guard),
        data: { currentStep: step, progress, message },
      });
    },

    async markCompleted(guard: AttemptGuard, result: JobResult): Promise<JobRecord | null> {
      return markCompleted({ guard, result });
    },

    /** Ends the attempt `guard` names, and the job with it, as failed. */
    async markFailed(
      guard: AttemptGuard,
      errorCode: string,
      error: string,
    ): Promise<JobRecord | null> {
      const [row] = await db.job.updateManyAndReturn({
        where: runningAttempt(guard),
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

    /**
     * Ends the attempt `guard` names for another one at `nextAttemptAt`. `interrupted`: it
     * ended without an outcome (its execution unit crashed), which counts towards `poison`.
     */
    async markRetrying(
      guard: AttemptGuard,
      error: string,
      nextAttemptAt: Date,
      options: { interrupted?: boolean } = {},
    ): Promise<JobRecord | null> {
      const [row] = await db.job.updateManyAndReturn({
        where: runningAttempt(guard),
        data: {
          status: 'retrying',
          currentStep: 'queued',
          message: `attempt failed, retrying at ${nextAttemptAt.toISOString()}`,
          error,
          errorCode: options.interrupted ? 'attempt_interrupted' : 'attempt_failed',
          nextAttemptAt,
          workerId: null,
          ...(options.interrupted ? { interruptions: { increment: 1 } } : {}),
        },
      });
      return row ?? null;
    },

    /** Hands a running job back to the queue (worker shutdown): the attempt does not count. */
    async requeue(guard: AttemptGuard): Promise<JobRecord | null> {
      const [row] = await db.job.updateManyAndReturn({
        where: runningAttempt(guard),
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

    /** Cancels a waiting job (queued or retrying); null when it no longer waits. */
    async cancelWaiting(id: string): Promise<JobRecord | null> {
      return cancel({ id, status: { in: ['queued', 'retrying'] } });
    },

    /** Ends the attempt `guard` names as cancelled (its worker stopped it on request). */
    async cancelAttempt(guard: AttemptGuard): Promise<JobRecord | null> {
      return cancel(runningAttempt(guard));
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
