import { DelayedError, type Job } from 'bullmq';
import {
  isTerminal,
  JobCancelledError,
  UnrecoverableGenerationError,
  type ErrorContext,
  type JobEventInput,
  type Logger,
} from '@genq/core';
import { jobEventFromRecord, type JobRecord, type JobsRepository } from '@genq/db';
import type { GeneratorRegistry, GenerationSummary } from '@genq/generators';
import type { Redis } from 'ioredis';
import {
  createRedisLock,
  webhookEventForStatus,
  type JobEventPublisher,
  type QueuedJobData,
  type RedisKeys,
  type RedisLock,
  type FinishedAttempt,
  type WebhookNotifier,
} from '@genq/queue';
import type { ArtifactStore } from './artifacts.ts';
import { retryDelayMs } from './backoff.ts';
import { createProgressReporter } from './progress-reporter.ts';

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
  jobs: JobsRepository;
  registry: GeneratorRegistry;
  artifacts: ArtifactStore;
  publisher: JobEventPublisher;
  logger: Logger;
  retryDelayMs: number;
  progressDbIntervalMs: number;
  /** Counts a finished attempt for queue stats and ETAs (one Redis round trip). */
  recordAttempt?: (attempt: FinishedAttempt) => Promise<void>;
  /** Observes attempts for Prometheus (worker-metrics.ts). */
  metrics?: JobMetrics;
  /** Reports a job that failed for good (Sentry when configured); never given the input. */
  reportError?: (error: unknown, context: ErrorContext) => void;
  /** Enqueues webhook deliveries (start, progress, completed, failed, cancelled). */
  webhooks?: Pick<WebhookNotifier, 'notify' | 'progressNotifier'>;
  /**
   * Puts a job back to wait until `at` (retry backoff, hand-back, busy target) and ends this
   * delivery normally. Fair scheduling sets it (the job waits in the scheduler, not holding
   * its client's slot); without it the job waits in BullMQ's delayed set.
   */
  deferJob?: (job: Job<QueuedJobData>, at: number) => Promise<void>;
}

/** Called with the job's row when an attempt has started and when it has ended. */
export interface JobMetrics {
  attemptStarted(row: JobRecord): void;
  /** `row.status` tells how: completed, failed, cancelled or retrying. */
  attemptFinished(row: JobRecord): void;
}

/**
 * Runs one BullMQ delivery of a genq job: claims the row, runs the generator, zips the
 * result and records the outcome. Retries are scheduled here (moveToDelayed), not by
 * BullMQ, so the attempt count lives in PostgreSQL and survives a Redis loss.
 */
export function createJobRunner(deps: JobRunnerDeps) {
  const running = new Map<string, AbortController>();

  const publish = async (event: JobEventInput): Promise<void> => {
    try {
      await deps.publisher.publish(event);
    } catch (error) {
      deps.logger.warn('could not publish a job event', {
        jobId: event.job_id,
        error: String(error),
      });
    }
  };

  /** The row's new state goes out: its event, its webhook and the outcome counters, at once. */
  async function finish(row: JobRecord | null): Promise<void> {
    if (!row) return;
    const event = webhookEventForStatus(row.status);
    const outcome = isTerminal(row.status) ? (row.status as FinishedAttempt['outcome']) : null;
    const attemptEnded = outcome !== null || row.status === 'retrying';
    if (attemptEnded) deps.metrics?.attemptFinished(row);
    const durationMs = row.startedAt ? Date.now() - row.startedAt.getTime() : null;
    await Promise.all([
      publish(jobEventFromRecord(row)),
      event ? deps.webhooks?.notify(row, event) : undefined,
      attemptEnded
        ? deps
            .recordAttempt?.({ generator: row.generator, outcome, durationMs })
            .catch((error: unknown) =>
              deps.logger.warn('could not record a finished attempt', { error: String(error) }),
            )
        : undefined,
    ]);
  }

  /** Back to wait until `at`: in the scheduler (deferJob), else in BullMQ's delayed set. */
  async function defer(job: Job<QueuedJobData>, at: number, token?: string): Promise<void> {
    if (deps.deferJob) return deps.deferJob(job, at);
    await job.moveToDelayed(at, token);
    throw new DelayedError();
  }

  /**
   * Jobs naming the same target never run at once, in any process. A job whose target is
   * busy goes back to the delayed set for a moment instead of holding a worker slot.
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
    const row = await deps.jobs.startAttempt(jobId, deps.workerId);
    const log = deps.logger.child({ jobId, attempt: row?.attempts });
    if (!row) {
      log.info('skipped a delivery: the job is no longer runnable');
      return;
    }
    deps.metrics?.attemptStarted(row);
    if (row.attempts > row.maxAttempts) {
      log.error('attempt budget exhausted by interrupted attempts');
      await finish(
        await deps.jobs.markFailed(
          jobId,
          'attempts_exhausted',
          `the job was interrupted ${row.attempts - 1} times (worker crashes) and will not be retried`,
        ),
      );
      return;
    }
    const reporter = createProgressReporter({
      jobId,
      baseEvent: {
        job_id: jobId,
        batch_id: row.batchId,
        client_id: row.clientId,
        status: 'running',
        attempts: row.attempts,
        error: null,
      },
      publisher: deps.publisher,
      jobs: deps.jobs,
      logger: log,
      dbIntervalMs: deps.progressDbIntervalMs,
    });
    // The `running` event leads the reporter's chain of events, so the generator starts
    // without waiting for it and every later event still follows it.
    reporter.emit(jobEventFromRecord(row));
    await deps.webhooks?.notify(row, 'start');

    const generator = deps.registry.get(row.generator);
    const parsed = generator?.input.safeParse(row.input);
    if (!generator || !parsed?.success) {
      const reason = generator ? 'invalid input' : `unknown generator "${row.generator}"`;
      log.error(`failed without retry: ${reason}`);
      const [failed] = await Promise.all([
        deps.jobs.markFailed(jobId, 'invalid_input', reason),
        reporter.drain(),
      ]);
      await finish(failed);
      return;
    }

    const controller = new AbortController();
    running.set(jobId, controller);
    const webhookProgress = deps.webhooks?.progressNotifier(row);
    const progress: typeof reporter.report = webhookProgress
      ? (stage, percent, message) => {
          reporter.report(stage, percent, message);
          webhookProgress(reporter.current());
        }
      : reporter.report;
    const startedAt = Date.now();
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
    try {
      const attempt = await deps.artifacts.prepareAttempt(jobId, row.attempts);
      // One info line per attempt, when it ends; this one is for tracing a job.
      log.debug('attempt started', { generator: row.generator });
      const summary: GenerationSummary | void = await generator.run(parsed.data, {
        jobId,
        attempt: row.attempts,
        signal: controller.signal,
        progress,
        output: attempt.output,
        logger: log,
      });
      controller.signal.throwIfAborted();
      reporter.report('saving', 100, 'packing the result');
      const result = await attempt.zipResult(row.target);
      // markCompleted sets the whole state, so a progress write still pending is dropped;
      // the `completed` event waits for the events before it (drain).
      const [completed] = await Promise.all([
        deps.jobs.markCompleted(jobId, { ...result, meta: summary?.metadata ?? null }),
        reporter.drain(),
      ]);
      if (!completed) {
        // Cancelled or settled elsewhere while we packed: the row wins, drop the files.
        await deps.artifacts.removeJob(jobId);
        return;
      }
      const finished = finish(completed);
      log.info('job completed', {
        generator: row.generator,
        ms: Date.now() - startedAt,
        bytes: Number(result.size),
      });
      await finished;
    } catch (error) {
      await reporter.flush();
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : undefined;
      if (reason instanceof JobCancelledError) {
        log.info('job cancelled while running');
        await deps.artifacts.removeJob(jobId);
        await finish(await deps.jobs.markCancelled(jobId, ['running']));
        return;
      }
      if (reason instanceof WorkerShutdownError) {
        log.warn('handing the job back: the worker is stopping');
        // The next attempt keeps this attempt's number (requeue gives it back), so the
        // files written so far are removed here rather than when it starts.
        await deps.artifacts.removeJob(jobId);
        await deps.jobs.requeue(jobId);
        return defer(job, Date.now(), token);
      }
      const message = errorMessage(error);
      const retryable = !(error instanceof UnrecoverableGenerationError);
      if (!retryable || row.attempts >= row.maxAttempts) {
        log.error('job failed', { cause: message, retryable, attempts: row.attempts });
        deps.reportError?.(error, {
          tags: { jobId, generator: row.generator, attempt: row.attempts, retryable },
        });
        await finish(
          await deps.jobs.markFailed(
            jobId,
            retryable ? 'attempts_exhausted' : 'generation_failed',
            retryable ? `failed after ${row.attempts} attempts: ${message}` : message,
          ),
        );
        return;
      }
      const nextAt = new Date(Date.now() + retryDelayMs(deps.retryDelayMs, row.attempts + 1));
      log.warn('attempt failed, will retry', { cause: message, nextAttemptAt: nextAt });
      const retrying = await deps.jobs.markRetrying(jobId, message, nextAt);
      await finish(retrying);
      if (!retrying) return;
      return defer(job, nextAt.getTime(), token);
    } finally {
      clearInterval(renewTimer);
      running.delete(jobId);
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
    runningIds: (): string[] => [...running.keys()],
  };
}

export type JobRunner = ReturnType<typeof createJobRunner>;

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
