import type { ErrorContext, Logger, WorkingStage } from '@genq/core';
import {
  jobEventFromRecord,
  type AttemptGuard,
  type JobRecord,
  type JobResult,
  type JobsRepository,
} from '@genq/db';
import type { JobEventPublisher, WebhookNotifier } from '@genq/queue';
import type { DurableWrites } from './durable.ts';
import type { AttemptMetrics, Emit } from './emitter.ts';
import { createProgressReporter } from './progress-reporter.ts';
import { retryDelayMs } from './backoff.ts';

export interface AttemptDeps {
  jobs: JobsRepository;
  publisher: JobEventPublisher;
  emit: Emit;
  durably: DurableWrites;
  logger: Logger;
  /** Base delay of a retry; attempt n waits about delay × 2^(n-2). */
  retryDelayMs: number;
  /** Minimum time between two progress writes to the row. */
  progressDbIntervalMs: number;
  webhooks?: Pick<WebhookNotifier, 'notify' | 'progressNotifier'>;
  metrics?: AttemptMetrics;
  /** A job that failed for good (Sentry when configured); never given the input. */
  reportError?: (error: unknown, context: ErrorContext) => void;
}

/** How a failed attempt ends: the row as it now stands, and when the job runs again. */
export interface FailedAttempt {
  row: JobRecord | null;
  /** Epoch ms of the next attempt; null when the job failed for good (or moved on). */
  retryAt: number | null;
}

/**
 * One claimed attempt and the transitions only its worker may make. Every write is guarded
 * by the attempt (row id, worker id, attempt number), retried through an outage until it
 * lands (or `stop` fires: then it throws WriteNotLandedError and the job is handed back by
 * BullMQ's stalled-job check and the reconciler), and followed by one emit.
 */
export interface Attempt {
  readonly row: JobRecord;
  readonly guard: AttemptGuard;
  /** Reports progress: throttled events, a row write at most once per interval. */
  progress(stage: WorkingStage, percent: number, message?: string): void;
  /** The generator finished and its result is saved; null when the row moved on meanwhile. */
  complete(result: JobResult): Promise<JobRecord | null>;
  /**
   * The generator failed: a retry with backoff within the budget, else failed for good.
   * `interrupted`: the attempt ended without an outcome (its execution unit crashed); the
   * job's second such attempt makes it `poison`.
   */
  failed(
    error: unknown,
    options: { retryable: boolean; code?: string; interrupted?: boolean },
  ): Promise<FailedAttempt>;
  /** Fails the job at once without running it (invalid input, unknown generator). */
  reject(code: string, message: string): Promise<JobRecord | null>;
  /** Its worker stopped it on a cancel request. */
  cancelled(): Promise<JobRecord | null>;
  /** Its worker is stopping: back to the queue, and the attempt is not counted. */
  handBack(): Promise<JobRecord | null>;
}

export function createAttempts(deps: AttemptDeps) {
  /**
   * Claims the job for a new attempt: null when it is no longer runnable (cancelled,
   * finished, deleted), so the delivery is dropped, or when its budget was spent by
   * attempts that never reported an end (worker crashes): then it fails here.
   */
  async function claim(
    jobId: string,
    workerId: string,
    stop?: AbortSignal,
  ): Promise<Attempt | null> {
    const row = await deps.durably(
      'claim a job',
      () => deps.jobs.startAttempt(jobId, workerId),
      stop,
    );
    if (!row) return null;
    const guard: AttemptGuard = { id: row.id, workerId, attempt: row.attempts };
    const log = deps.logger.child({ jobId, attempt: row.attempts });
    deps.metrics?.attemptStarted(row);

    const land = async (what: string, write: () => Promise<JobRecord | null>) => {
      const landed = await deps.durably(what, write, stop);
      if (landed) await deps.emit(landed, { attemptEnded: true, stop });
      return landed;
    };

    // Attempts that crashed, hung or were killed twice: a third worker never receives it.
    if (row.interruptions >= POISON_AFTER_INTERRUPTIONS) {
      log.error('poison job: its attempts were interrupted twice');
      await land('fail a job', () =>
        deps.jobs.markFailed(guard, 'poison', poisonMessage(row.interruptions, row.error)),
      );
      return null;
    }
    if (row.attempts > row.maxAttempts) {
      log.error('attempt budget exhausted by interrupted attempts');
      await land('fail a job', () =>
        deps.jobs.markFailed(
          guard,
          'attempts_exhausted',
          `the job was interrupted ${row.attempts - 1} times (worker crashes) and will not be retried`,
        ),
      );
      return null;
    }

    const reporter = createProgressReporter({
      baseEvent: {
        job_id: jobId,
        batch_id: row.batchId,
        client_id: row.clientId,
        status: 'running',
        attempts: row.attempts,
        error: null,
      },
      publisher: deps.publisher,
      writeProgress: (step, progress, message) =>
        deps.jobs.recordProgress(guard, step, progress, message),
      logger: log,
      dbIntervalMs: deps.progressDbIntervalMs,
    });
    // The `running` event leads the reporter's chain of events, so the generator starts
    // without waiting for it and every later event still follows it.
    reporter.emit(jobEventFromRecord(row));
    const webhookProgress = deps.webhooks?.progressNotifier(row);
    await deps.webhooks?.notify(row, 'start').catch((error: unknown) => {
      log.warn('could not enqueue a webhook', { error: String(error) });
    });

    /** Progress still pending goes out (and to the row) before the attempt's end does. */
    const settle = async (what: string, write: () => Promise<JobRecord | null>) => {
      await reporter.flush();
      return land(what, write);
    };

    return {
      row,
      guard,
      progress(stage, percent, message) {
        reporter.report(stage, percent, message);
        webhookProgress?.(reporter.current());
      },
      async complete(result) {
        // The completion sets the whole state, so a progress write still pending is
        // dropped; the `completed` event waits for the events before it (drain).
        const [completed] = await Promise.all([
          deps.durably('complete a job', () => deps.jobs.markCompleted(guard, result), stop),
          reporter.drain(),
        ]);
        if (completed) await deps.emit(completed, { attemptEnded: true, stop });
        return completed;
      },
      async failed(error, { retryable, code, interrupted = false }) {
        const message = errorMessage(error);
        if (interrupted && row.interruptions + 1 >= POISON_AFTER_INTERRUPTIONS) {
          log.error('poison job: its attempts were interrupted twice', { cause: message });
          deps.reportError?.(error, {
            tags: { jobId, generator: row.generator, attempt: row.attempts, retryable: false },
          });
          const poisoned = await settle('fail a job', () =>
            deps.jobs.markFailed(guard, 'poison', poisonMessage(row.interruptions + 1, message)),
          );
          return { row: poisoned, retryAt: null };
        }
        if (!retryable || row.attempts >= row.maxAttempts) {
          log.error('job failed', { cause: message, retryable, attempts: row.attempts });
          deps.reportError?.(error, {
            tags: { jobId, generator: row.generator, attempt: row.attempts, retryable },
          });
          const failedRow = await settle('fail a job', () =>
            deps.jobs.markFailed(
              guard,
              code ?? (retryable ? 'attempts_exhausted' : 'generation_failed'),
              retryable ? `failed after ${row.attempts} attempts: ${message}` : message,
            ),
          );
          return { row: failedRow, retryAt: null };
        }
        const retryAt = Date.now() + retryDelayMs(deps.retryDelayMs, row.attempts + 1);
        log.warn('attempt failed, will retry', { cause: message, nextAttemptAt: retryAt });
        const retrying = await settle('schedule a retry', () =>
          deps.jobs.markRetrying(guard, message, new Date(retryAt), { interrupted }),
        );
        return { row: retrying, retryAt: retrying ? retryAt : null };
      },
      async reject(code, message) {
        log.error(`failed without retry: ${message}`);
        return settle('fail a job', () => deps.jobs.markFailed(guard, code, message));
      },
      async cancelled() {
        log.info('job cancelled while running');
        return settle('cancel a job', () => deps.jobs.cancelAttempt(guard));
      },
      async handBack() {
        log.warn('handing the job back: the worker is stopping');
        await reporter.flush();
        const back = await deps.durably('hand a job back', () => deps.jobs.requeue(guard), stop);
        // Not an attempt that ended: the next one keeps its number.
        if (back) await deps.emit(back, { attemptEnded: false, stop });
        return back;
      },
    };
  }

  return { claim };
}

/** Interrupted attempts (crashed, hung, killed) after which a job fails for good as `poison`. */
export const POISON_AFTER_INTERRUPTIONS = 2;

function poisonMessage(interruptions: number, last: string | null): string {
  const cause = last ? `; the last: ${last}` : '';
  return `poison: ${interruptions} attempts ended without an outcome (crashed, hung or killed)${cause}`;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
