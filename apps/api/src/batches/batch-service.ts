import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Redis } from 'ioredis';
import { v7 as uuidv7 } from 'uuid';
import {
  isTerminal,
  NotFoundError,
  ResultNotReadyError,
  ServiceUnavailableError,
  ValidationError,
  zodIssueDetails,
  type ErrorDetail,
  type JobEvent,
  type Logger,
} from '@genq/core';
import {
  isUniqueViolation,
  jobEventFromRecord,
  type BatchesRepository,
  type JobRecord,
  type JobsRepository,
  type NewJob,
} from '@genq/db';
import type { GeneratorRegistry } from '@genq/generators';
import { currentState, type JobLifecycle } from '@genq/jobs';
import { parseJobEvent, type RedisKeys } from '@genq/queue';
import { resolvePriority, type Owner } from '../auth/owner.ts';
import { createJobRequestSchema } from '../jobs/job-schemas.ts';
import type { WebhookRequest } from '../webhooks/webhook-schema.ts';
import type { WebhookCheckItem, WebhookTargets } from '../webhooks/webhook-targets.ts';
import {
  assertSameBatchRequest,
  batchIdempotency,
  type BatchIdempotency,
} from './batch-idempotency.ts';
import { listResultZip, streamBatchArchive, type ListedMember } from './batch-archive.ts';
import {
  batchLinks,
  groupJobs,
  summarizeBatch,
  toBatchView,
  type BatchSnapshotMessage,
  type BatchView,
} from './batch-view.ts';

export interface BatchServiceDeps {
  jobs: JobsRepository;
  batches: BatchesRepository;
  /** Batches are submitted through the job lifecycle (packages/jobs). */
  lifecycle: Pick<JobLifecycle, 'submitBatch'>;
  registry: GeneratorRegistry;
  redis: Redis;
  keys: RedisKeys;
  artifactsDir: string;
  maxAttempts: number;
  logger: Logger;
  /** Back-pressure (GENQ_QUEUE_MAX_PENDING): throws when `count` more jobs would not fit. */
  queueLimit?: { assertQueueHasRoom(count: number): Promise<void> };
  /** Checks webhook URLs at submission (allowlist, DNS). */
  webhookTargets: WebhookTargets;
}

export interface BatchAccepted {
  batch_id: string;
  job_ids: string[];
  total_jobs: number;
  /**
   * Sum of the generators' estimates for every job: work time, not wall time (jobs run in
   * parallel across workers, and wait behind other jobs first).
   */
  estimated_total_time_seconds: number;
  links: { self: string; result: string; websocket: string };
}

export interface BatchArchive {
  name: string;
  stream: Readable;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Batch use cases, free of HTTP: submit many jobs at once, follow them, fetch one ZIP. */
export function createBatchService(deps: BatchServiceDeps) {
  /**
   * Checks every request (shape, then the generator's own input schema) and collects every
   * problem, each path naming the item: `requests.3.input.rows`. Nothing is written unless
   * all of them pass. A job without a webhook of its own gets the batch's `webhook`.
   */
  async function validate(
    owner: Owner,
    requests: unknown[],
    batchWebhook?: WebhookRequest,
  ): Promise<{ jobs: NewJob[]; estimate: number }> {
    const details: ErrorDetail[] = [];
    const jobs: NewJob[] = [];
    const webhooks: (WebhookCheckItem & { job: NewJob })[] = [];
    let estimate = 0;
    let invalid = 0;
    requests.forEach((raw, index) => {
      const prefix = ['requests', String(index)];
      const parsed = createJobRequestSchema.safeParse(raw);
      if (!parsed.success) {
        invalid += 1;
        details.push(...zodIssueDetails(parsed.error.issues, prefix));
        return;
      }
      const request = parsed.data;
      let input: unknown;
      try {
        input = deps.registry.parseInput(request.generator, request.input);
        deps.registry.checkTimeout(request.generator, request.timeout_ms);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        invalid += 1;
        details.push(...error.details.map((d) => ({ ...d, path: [...prefix, d.path].join('.') })));
        return;
      }
      estimate += deps.registry.get(request.generator)?.estimateSeconds(input) ?? 0;
      const job: NewJob = {
        id: uuidv7(),
        clientId: owner.clientId,
        batchId: null,
        generator: request.generator,
        // Stored as sent, as for single jobs: the worker parses it again.
        input: request.input,
        priority: resolvePriority(owner, request.priority, [...prefix, 'priority'].join('.')),
        maxAttempts: deps.maxAttempts,
        idempotencyKey: null,
        target: request.target ?? null,
        timeoutMs: request.timeout_ms ?? null,
      };
      jobs.push(job);
      if (request.webhook) {
        webhooks.push({ webhook: request.webhook, path: [...prefix, 'webhook'].join('.'), job });
      } else if (batchWebhook) {
        webhooks.push({ webhook: batchWebhook, path: 'webhook', job });
      }
    });
    if (webhooks.length > 0) {
      const checked = await deps.webhookTargets.checkAll(webhooks);
      checked.subscriptions.forEach((subscription, index) => {
        const item = webhooks[index];
        if (!item) return;
        if (subscription) item.job.webhook = subscription;
        else invalid += 1;
      });
      // The batch's own webhook is reported once, not once per job that inherits it.
      const seen = new Set(details.map((d) => `${d.path}\n${d.message}`));
      for (const detail of checked.details) {
        const key = `${detail.path}\n${detail.message}`;
        if (!seen.has(key)) details.push(detail);
        seen.add(key);
      }
    }
    if (invalid > 0) {
      throw new ValidationError(
        `invalid batch: ${invalid} of ${requests.length} requests are invalid, nothing was submitted`,
        details,
      );
    }
    return { jobs, estimate };
  }

  function accepted(batchId: string, jobIds: string[], estimate: number): BatchAccepted {
    return {
      batch_id: batchId,
      job_ids: jobIds,
      total_jobs: jobIds.length,
      estimated_total_time_seconds: Math.round(estimate * 1000) / 1000,
      links: batchLinks(batchId),
    };
  }

  /** The first submission's answer again, for a retry with the same key and body. */
  async function replayed(
    clientId: string,
    idempotency: BatchIdempotency,
    estimate: number,
  ): Promise<{ accepted: BatchAccepted; replayed: true } | null> {
    const existing = await deps.batches.findByIdempotencyKey(clientId, idempotency.key);
    if (!existing) return null;
    assertSameBatchRequest(existing, idempotency);
    const jobIds = existing.jobs.map((job) => job.id);
    return { accepted: accepted(existing.id, jobIds, estimate), replayed: true };
  }

  /** The snapshot a job subscriber would get, for each job of the batch at once. */
  async function jobSnapshots(rows: JobRecord[]): Promise<JobEvent[]> {
    const states =
      rows.length === 0
        ? []
        : await deps.redis
            .mget(rows.map((row) => deps.keys.jobState(row.id)))
            .catch(() => rows.map(() => null));
    return rows.map((row, index) => {
      const raw = states[index];
      const live = raw ? parseJobEvent(raw) : null;
      return { ...jobEventFromRecord(row, 'snapshot'), ...currentState(row, live) };
    });
  }

  return {
    /**
     * Validates every request, then writes the batch and its jobs in one transaction, then
     * enqueues them; if enqueueing fails, nothing remains and the client gets 503. With an
     * Idempotency-Key already used for the same body, answers the first batch instead
     * (`replayed`); used for another body, 409.
     */
    async submit(
      owner: Owner,
      requests: unknown[],
      webhook?: WebhookRequest,
      idempotencyKey?: string,
    ): Promise<{ accepted: BatchAccepted; replayed: boolean }> {
      const { jobs, estimate } = await validate(owner, requests, webhook);
      const idempotency = batchIdempotency(idempotencyKey, requests, webhook);
      const replay = idempotency && (await replayed(owner.clientId, idempotency, estimate));
      if (replay) return replay;
      if (deps.redis.status !== 'ready') {
        throw new ServiceUnavailableError('the job queue is unavailable (Redis is not reachable)');
      }
      // The whole batch must fit: all of it is accepted, or none.
      await deps.queueLimit?.assertQueueHasRoom(jobs.length);
      const batchId = uuidv7();
      for (const job of jobs) job.batchId = batchId;
      try {
        // All or nothing: a batch whose enqueueing fails is rolled back (503).
        await deps.lifecycle.submitBatch(
          {
            id: batchId,
            clientId: owner.clientId,
            idempotencyKey: idempotency?.key ?? null,
            requestHash: idempotency?.hash ?? null,
          },
          jobs,
        );
      } catch (error) {
        // Two submissions with one key raced: the loser answers with the winner's batch.
        const winner =
          idempotency && isUniqueViolation(error)
            ? await replayed(owner.clientId, idempotency, estimate)
            : null;
        if (winner) return winner;
        throw error;
      }
      return {
        accepted: accepted(
          batchId,
          jobs.map((job) => job.id),
          estimate,
        ),
        replayed: false,
      };
    },

    async get(id: string, clientId: string): Promise<BatchView> {
      const state = UUID.test(id) ? await deps.batches.loadState(id) : null;
      if (!state || state.batch.clientId !== clientId) throw new NotFoundError('batch', id);
      return toBatchView(state.batch, state.groups, state.jobs);
    },

    /**
     * The first message of a WebSocket batch subscription: the batch summary and each job's
     * snapshot (row overlaid with its live state in Redis, with its latest `seq`).
     */
    async snapshot(id: string, clientId: string): Promise<BatchSnapshotMessage | null> {
      const batch = UUID.test(id) ? await deps.batches.findWithJobs(id) : null;
      if (!batch || batch.clientId !== clientId) return null;
      const jobs = await jobSnapshots(batch.jobs);
      const summary = summarizeBatch(
        groupJobs(
          jobs.map((event, index) => ({
            status: event.status,
            progress: event.progress,
            completedAt: isTerminal(event.status) ? batch.jobs[index]?.completedAt : null,
          })),
        ),
      );
      return { type: 'batch_snapshot', batch_id: batch.id, ...summary, jobs };
    },

    /**
     * One ZIP of every completed job's files under `<job_id>/`, with a `manifest.json` that
     * lists every job and its status. 409 while no job has completed.
     */
    async archive(id: string, clientId: string): Promise<BatchArchive> {
      const batch = UUID.test(id) ? await deps.batches.findWithJobs(id) : null;
      if (!batch || batch.clientId !== clientId) throw new NotFoundError('batch', id);
      const completed = batch.jobs.filter(
        (job) => job.status === 'completed' && (job.resultPath || job.resultFiles === 0),
      );
      if (completed.length === 0) {
        throw new ResultNotReadyError(`batch ${id} has no completed job yet`);
      }
      // File lists are read before anything is sent, so a missing result shows in the
      // manifest instead of breaking the download halfway.
      const listed = new Map<string, ListedMember | Error>();
      for (const job of completed) {
        if (!job.resultPath) {
          // It wrote no files: nothing on disk, nothing to add but its manifest entry.
          listed.set(job.id, { jobId: job.id, file: '', entries: [] });
          continue;
        }
        const file = path.resolve(deps.artifactsDir, job.resultPath);
        listed.set(
          job.id,
          await listResultZip({ jobId: job.id, file }).catch((error: unknown) =>
            error instanceof Error ? error : new Error(String(error)),
          ),
        );
      }
      const members = [...listed.values()].filter((m): m is ListedMember => !(m instanceof Error));
      const manifest = {
        batch_id: batch.id,
        created_at: batch.createdAt.toISOString(),
        generated_at: new Date().toISOString(),
        ...summarizeBatch(groupJobs(batch.jobs)),
        jobs: batch.jobs.map((job) => {
          const member = listed.get(job.id);
          const included = member && !(member instanceof Error);
          return {
            id: job.id,
            generator: job.generator,
            status: job.status,
            error: job.error ? { code: job.errorCode ?? 'error', message: job.error } : null,
            folder: included ? `${job.id}/` : null,
            files: included ? member.entries.map((e) => e.fileName) : [],
            ...(member instanceof Error ? { note: 'result file is missing or unreadable' } : {}),
          };
        }),
      };
      for (const [jobId, member] of listed) {
        if (member instanceof Error) {
          deps.logger.warn('a completed job of a batch has no readable result', {
            batchId: id,
            jobId,
            error: member.message,
          });
        }
      }
      const stream = streamBatchArchive(manifest, members, (error) =>
        deps.logger.error('streaming a batch archive failed', {
          batchId: id,
          error: String(error),
        }),
      );
      return { name: `genq-batch-${batch.id}.zip`, stream };
    },
  };
}

export type BatchService = ReturnType<typeof createBatchService>;
