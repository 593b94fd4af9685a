import { DelayedError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { JobCancelledError, type Logger } from '@genq/core';
import {
  effectiveTimeoutMs,
  type GeneratorRegistry,
  type GenerationSummary,
} from '@genq/generators';
import { WriteNotLandedError, type Attempt, type JobLifecycle } from '@genq/jobs';
import { createRedisLock, type QueuedJobData, type RedisKeys, type RedisLock } from '@genq/queue';
import type { ArtifactStore } from './artifacts.ts';
import type { ExecutionOutcome, Executor } from './execution/executor.ts';

/** A target lock outlives a dead holder by at most this long. */
const TARGET_LOCK_MS = 30_000;
/** A job whose target is busy looks again after 0.5–1 s. */
const TARGET_RETRY_MS = 500;

/** Why a running job's AbortSignal fired when it was not a cancellation. */
export class WorkerShutdownError extends Error {
  constructor() {
    super('the worker is shutting down');
    this.name = 'WorkerShutdownError';
  }
}

export interface JobRunnerDeps {
  workerId: string;
  redis: Redis;
  keys: RedisKeys;
  lifecycle: JobLifecycle;
  registry: GeneratorRegistry;
  /** Where attempts run: a thread the worker can terminate, or its own event loop. */
  executor: Executor;
  artifacts: ArtifactStore;
  logger: Logger;
  /**
   * Puts a job back to wait until `at` (retry backoff, hand-back, busy target) and ends this
   * delivery normally. Fair scheduling sets it (the job waits in the scheduler, not holding
   * its client's slot); without it the job waits in BullMQ's delayed set.
   */
  deferJob?: (job: Job<QueuedJobData>, at: number) => Promise<void>;
}

/** How the generator's part of an attempt ended, before anything of it is recorded. */
type RunOutcome =
  | { kind: 'succeeded'; summary: GenerationSummary | void }
  | { kind: 'cancelled' }
  | { kind: 'shutdown' }
  | {
      kind: 'failed';
      error: unknown;
      retryable: boolean;
      /** timeout, memory_limit, output_limit, crashed; absent: the generator's own failure. */
      code?: string;
      /** Ended without an outcome (its execution unit died): counts towards poison. */
      interrupted?: boolean;
    };

/**
 * Runs one BullMQ delivery of a genq job: claims an attempt, runs the generator, zips the
 * result and hands the outcome to the lifecycle (packages/jobs), which records it. The
 * generator's part and the recording part are kept apart, so an error writing an outcome
 * is never taken for the generator's own failure: the lifecycle retries it until it lands.
 */
export function createJobRunner(deps: JobRunnerDeps) {
  const running = new Map<string, AbortController>();
  /** Fires when the process must stop now: writes still retrying give up (hand-back). */
  const halt = new AbortController();

  /** Back to wait until `at`: in the scheduler (deferJob), else in BullMQ's delayed set. */
  async function defer(job: Job<QueuedJobData>, at: number, token?: string): Promise<void> {
    if (deps.deferJob) return deps.deferJob(job, at);
    await job.moveToDelayed(at, token);
    throw new DelayedError();
  }

  /**
   * Jobs naming the same target never run at once, in any process. A job whose target is
   * busy goes back to wait for a moment instead of holding a worker slot.
   */
  async function run(job: Job<QueuedJobData>, token?: string): Promise<void> {
    const jobId = job.id;
    if (!jobId) return;
    const target = job.data.target;
    if (!target) return runClaimed(job, jobId, token);
    const lock = createRedisLock(deps.redis, deps.keys.targetLock(target), jobId, TARGET_LOCK_MS);
    if (!(await lock.acquire())) {
      return defer(job, Date.now() + TARGET_RETRY_MS + Math.random() * TARGET_RETRY_MS, token);
    }
    try {
      await runClaimed(job, jobId, token, lock);
    } finally {
      await lock.release().catch(() => undefined);
    }
  }

  async function runClaimed(
    job: Job<QueuedJobData>,
    jobId: string,
    token?: string,
    targetLock?: RedisLock,
  ): Promise<void> {
    const attempt = await deps.lifecycle.claim(jobId, deps.workerId, halt.signal);
    if (!attempt) {
      deps.logger.info('skipped a delivery: the job is no longer runnable', { jobId });
      return;
    }
    const log = deps.logger.child({ jobId, attempt: attempt.row.attempts });
    const { row } = attempt;
    const generator = deps.registry.get(row.generator);
    const parsed = generator?.input.safeParse(row.input);
    if (!generator || !parsed?.success) {
      await attempt.reject(
        'invalid_input',
        generator ? 'invalid input' : `unknown generator "${row.generator}"`,
      );
      return;
    }

    const controller = new AbortController();
    running.set(jobId, controller);
    const renewTimer = targetLock
      ? setInterval(() => {
          targetLock.renew().then(
            (held) => {
              if (!held) controller.abort(new Error(`lost the lock on target ${row.target}`));
            },
            () => undefined,
          );
        }, TARGET_LOCK_MS / 3)
      : undefined;
    const startedAt = Date.now();
    const generatorLimits = deps.registry.limits(row.generator);
    try {
      const staging = await deps.artifacts.prepareAttempt(jobId, row.attempts);
      // One info line per attempt, when it ends; this one is for tracing a job.
      log.debug('attempt started', { generator: row.generator });
      let outcome = runOutcome(
        await deps.executor.execute(
          {
            generator: row.generator,
            input: row.input,
            jobId,
            attempt: row.attempts,
            outputDir: staging.dir,
            limits: {
              ...generatorLimits,
              timeoutMs: effectiveTimeoutMs(generatorLimits, row.timeoutMs),
            },
          },
          { signal: controller.signal, progress: attempt.progress, logger: log },
        ),
      );
      if (outcome.kind === 'succeeded') {
        attempt.progress('saving', 100, 'packing the result');
        const zipped = await staging.zipResult(row.target).then(
          (result) => ({ result }),
          (error: unknown) => ({ error }),
        );
        if ('error' in zipped) outcome = { kind: 'failed', error: zipped.error, retryable: true };
        else {
          const meta = outcome.summary?.metadata ?? null;
          const completed = await attempt.complete({ ...zipped.result, meta });
          // Cancelled or settled elsewhere while we packed: the row wins, drop the files.
          if (!completed) await deps.artifacts.removeJob(jobId);
          else {
            log.info('job completed', {
              generator: row.generator,
              ms: Date.now() - startedAt,
              bytes: Number(zipped.result.size),
            });
          }
          return;
        }
      }
      await record(job, attempt, outcome, token);
    } catch (error) {
      // The process is stopping before an outcome could land: leave the job to the stalled
      // check and the reconciler, which deliver it again; nothing is dropped.
      if (error instanceof WriteNotLandedError) {
        log.warn('stopping before the outcome was recorded; the job will run again', {
          error: error.message,
        });
        return;
      }
      throw error;
    } finally {
      clearInterval(renewTimer);
      running.delete(jobId);
    }
  }

  /** Records an outcome other than success, and moves the delivery where it must wait. */
  async function record(
    job: Job<QueuedJobData>,
    attempt: Attempt,
    outcome: Exclude<RunOutcome, { kind: 'succeeded' }>,
    token?: string,
  ): Promise<void> {
    const jobId = attempt.row.id;
    switch (outcome.kind) {
      case 'cancelled':
        await deps.artifacts.removeJob(jobId);
        await attempt.cancelled();
        return;
      case 'shutdown': {
        // The next attempt keeps this attempt's number (the hand-back gives it back), so
        // the files written so far are removed here rather than when it starts.
        await deps.artifacts.removeJob(jobId);
        if (await attempt.handBack()) await defer(job, Date.now(), token);
        return;
      }
      case 'failed': {
        // A failure for good leaves nothing on disk, removed before the job reads as failed.
        if (!outcome.retryable) await deps.artifacts.removeJob(jobId);
        const { retryAt } = await attempt.failed(outcome.error, {
          retryable: outcome.retryable,
          code: outcome.code,
          interrupted: outcome.interrupted,
        });
        // Out of retries: the same. A retry starts from an empty folder anyway.
        if (retryAt === null) await deps.artifacts.removeJob(jobId);
        else await defer(job, retryAt, token);
        return;
      }
    }
  }

  return {
    run,
    /** Fires the AbortSignal of a job this process runs; false when it does not run it. */
    cancel(jobId: string): boolean {
      const controller = running.get(jobId);
      if (!controller) return false;
      controller.abort(new JobCancelledError());
      return true;
    },
    /** Stops every running job so it is handed back to the queue. */
    abortAll(): void {
      for (const controller of running.values()) controller.abort(new WorkerShutdownError());
    },
    /** The process stops now: outcome writes still retrying through an outage give up. */
    halt(): void {
      halt.abort();
    },
    runningIds: (): string[] => [...running.keys()],
  };
}

export type JobRunner = ReturnType<typeof createJobRunner>;

/** What an execution's end means for the job. */
function runOutcome(execution: ExecutionOutcome): RunOutcome {
  switch (execution.kind) {
    case 'succeeded':
      return execution;
    case 'stopped':
      if (execution.reason instanceof JobCancelledError) return { kind: 'cancelled' };
      if (execution.reason instanceof WorkerShutdownError) return { kind: 'shutdown' };
      // Another reason to stop (the target's lock was lost): run it again later.
      return { kind: 'failed', error: execution.reason, retryable: true };
    case 'failed':
      return { kind: 'failed', error: execution.error, retryable: execution.retryable };
    case 'limit':
      // Another attempt of the same input would go over the same limit.
      return { kind: 'failed', error: execution.error, retryable: false, code: execution.code };
    case 'crashed':
      return {
        kind: 'failed',
        error: execution.error,
        retryable: true,
        code: 'crashed',
        interrupted: true,
      };
  }
}
