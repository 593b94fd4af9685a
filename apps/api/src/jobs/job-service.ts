import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Redis } from 'ioredis';
import { v7 as uuidv7 } from 'uuid';
import {
  ConflictError,
  isTerminal,
  NotFoundError,
  ResultNotReadyError,
  ServiceUnavailableError,
  type JobEvent,
  type JobStatus,
} from '@genq/core';
import {
  isUniqueViolation,
  jobEventFromRecord,
  type JobRecord,
  type JobsRepository,
} from '@genq/db';
import type { GeneratorRegistry } from '@genq/generators';
import { currentState, type JobLifecycle } from '@genq/jobs';
import { readJobState, type RedisKeys, type WebhookSubscription } from '@genq/queue';
import type { CreateJobRequest } from './job-schemas.ts';
import type { QueueLimit } from '../queue/queue-limit.ts';
import type { QueuePositions } from '../queue/queue-positions.ts';
import { toJobView, type JobView } from './job-view.ts';
import { resolvePriority, type Owner } from '../auth/owner.ts';
import type { WebhookTargets } from '../webhooks/webhook-targets.ts';

export interface JobServiceDeps {
  jobs: JobsRepository;
  /** Submit and cancel go through the job lifecycle (packages/jobs). */
  lifecycle: Pick<JobLifecycle, 'submit' | 'cancel'>;
  registry: GeneratorRegistry;
  redis: Redis;
  keys: RedisKeys;
  artifactsDir: string;
  maxAttempts: number;
  positions: QueuePositions;
  queueLimit: QueueLimit;
  /** Checks webhook URLs at submission (allowlist, DNS). */
  webhookTargets: WebhookTargets;
}

/** Job use cases, free of HTTP: routes translate requests into these calls. */
export function createJobService(deps: JobServiceDeps) {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

  /** The first job of an idempotency key, provided the repeated request is the same. */
  function replay(
    existing: JobRecord,
    request: CreateJobRequest,
    priority: number,
    webhook: WebhookSubscription | null,
  ): JobView {
    const same =
      existing.generator === request.generator &&
      isDeepStrictEqual(existing.input, request.input) &&
      existing.priority === priority &&
      existing.timeoutMs === (request.timeout_ms ?? null) &&
      isDeepStrictEqual(existing.webhook ?? null, webhook);
    if (!same) {
      throw new ConflictError('this Idempotency-Key was used for a different request', [
        { path: 'headers.idempotency-key', message: `already used by job ${existing.id}` },
      ]);
    }
    return toJobView(existing);
  }

  /** The job if it exists and belongs to `clientId`; anything else is the same 404. */
  async function load(id: string, clientId: string): Promise<JobRecord> {
    const job = UUID.test(id) ? await deps.jobs.findById(id) : null;
    if (!job || job.clientId !== clientId) throw new NotFoundError('job', id);
    return job;
  }

  function requireQueue(): void {
    if (deps.redis.status !== 'ready') {
      throw new ServiceUnavailableError('the job queue is unavailable (Redis is not reachable)');
    }
  }

  return {
    /**
     * Writes the row, then enqueues; if enqueueing fails the row is removed and 503 follows.
     * With an idempotency key already used, returns the first job instead (`replayed`).
     */
    async submit(
      owner: Owner,
      request: CreateJobRequest,
      idempotencyKey?: string,
    ): Promise<{ job: JobView; replayed: boolean }> {
      const priority = resolvePriority(owner, request.priority);
      // Validated here so bad input is a 400; stored as sent, since the worker parses it again.
      deps.registry.parseInput(request.generator, request.input);
      deps.registry.checkTimeout(request.generator, request.timeout_ms);
      const webhook = request.webhook ? await deps.webhookTargets.check(request.webhook) : null;
      if (idempotencyKey) {
        const existing = await deps.jobs.findByIdempotencyKey(owner.clientId, idempotencyKey);
        if (existing) return { job: replay(existing, request, priority, webhook), replayed: true };
      }
      requireQueue();
      await deps.queueLimit.assertQueueHasRoom(1);
      let job: JobRecord;
      try {
        job = await deps.lifecycle.submit({
          id: uuidv7(),
          clientId: owner.clientId,
          batchId: null,
          generator: request.generator,
          input: request.input,
          priority,
          maxAttempts: deps.maxAttempts,
          idempotencyKey: idempotencyKey ?? null,
          target: request.target ?? null,
          webhook,
          timeoutMs: request.timeout_ms ?? null,
        });
      } catch (error) {
        // Two requests with one key raced: the loser replays the winner's job.
        const winner =
          idempotencyKey && isUniqueViolation(error)
            ? await deps.jobs.findByIdempotencyKey(owner.clientId, idempotencyKey)
            : null;
        if (winner) return { job: replay(winner, request, priority, webhook), replayed: true };
        throw error;
      }
      return { job: toJobView(job, null, await deps.positions.placementOf(job)), replayed: false };
    },

    async get(id: string, clientId: string): Promise<JobView> {
      const job = await load(id, clientId);
      const [live, placement] = await Promise.all([
        readJobState(deps.redis, deps.keys, id).catch(() => null),
        deps.positions.placementOf(job),
      ]);
      return toJobView(job, live, placement);
    },

    async list(clientId: string, query: { limit: number; cursor?: string; status?: JobStatus }) {
      const rows = await deps.jobs.list({
        clientId,
        before: query.cursor,
        limit: query.limit,
        status: query.status,
      });
      const last = rows.at(-1);
      return {
        jobs: rows.map((row) => toJobView(row)),
        next_cursor: rows.length === query.limit && last ? last.id : null,
      };
    },

    /**
     * The state a WebSocket subscriber starts from: the row, overlaid with the live state
     * in Redis (fresher progress, and the sequence number to continue from).
     */
    async snapshot(id: string, clientId: string): Promise<JobEvent | null> {
      const [job, live] = await Promise.all([
        UUID.test(id) ? deps.jobs.findByIdShared(id) : null,
        readJobState(deps.redis, deps.keys, id).catch(() => null),
      ]);
      if (!job || job.clientId !== clientId) return null;
      const placement = await deps.positions.placementOf(job);
      return {
        ...jobEventFromRecord(job, 'snapshot'),
        ...currentState(job, live),
        position: placement.position,
        eta_seconds: placement.eta_seconds,
      };
    },

    /**
     * Cancels a job (the lifecycle's cancel transition): a waiting job ends `cancelled` at
     * once (200); a running one is asked to stop and answers `cancelling` (202).
     */
    async cancel(id: string, clientId: string): Promise<{ httpStatus: 200 | 202; job: JobView }> {
      const job = await load(id, clientId);
      if (isTerminal(job.status)) {
        throw new ConflictError(`job ${id} is already ${job.status}`, [
          { path: 'status', message: `is ${job.status}` },
        ]);
      }
      requireQueue();
      const outcome = await deps.lifecycle.cancel(id);
      if (outcome.kind === 'cancelled') return { httpStatus: 200, job: toJobView(outcome.row) };
      if (outcome.kind === 'requested') {
        return { httpStatus: 202, job: { ...toJobView(outcome.row), status: 'cancelling' } };
      }
      // It finished between our reads: report what it became.
      const now = await load(id, clientId);
      throw new ConflictError(`job ${id} is already ${now.status}`, [
        { path: 'status', message: `is ${now.status}` },
      ]);
    },

    /**
     * Absolute path of a completed job's ZIP; `file` is null when the job wrote no files
     * (nothing on disk: the result is EMPTY_ZIP).
     */
    async resultFile(id: string, clientId: string): Promise<{ file: string | null; name: string }> {
      const job = await load(id, clientId);
      const empty = !job.resultPath && job.resultFiles === 0;
      if (job.status !== 'completed' || (!job.resultPath && !empty)) {
        throw new ResultNotReadyError(`job ${id} has no result (status: ${job.status})`);
      }
      return {
        file: job.resultPath ? path.resolve(deps.artifactsDir, job.resultPath) : null,
        name: `genq-${job.generator}-${job.id}.zip`,
      };
    },
  };
}

export type JobService = ReturnType<typeof createJobService>;
