import type { ErrorContext, Logger } from '@genq/core';
import type { AgingRepository, JobsRepository, RecoveryRepository } from '@genq/db';
import type { FinishedAttempt, JobEventPublisher, JobQueue, WebhookNotifier } from '@genq/queue';
import { createAging } from './aging.ts';
import { createAttempts } from './attempt.ts';
import { createCancellation } from './cancellation.ts';
import { createDurableWrites, type DurableOptions } from './durable.ts';
import { createEmitter, type AttemptMetrics } from './emitter.ts';
import { createRescue } from './rescue.ts';
import { createSubmission } from './submission.ts';

export interface JobLifecycleDeps {
  jobs: JobsRepository;
  recovery: RecoveryRepository;
  aging: AgingRepository;
  /** The scheduler's port: fair or strict, the lifecycle does not ask which. */
  queue: JobQueue;
  publisher: JobEventPublisher;
  logger: Logger;
  /** Enqueues webhook deliveries; absent = this process sends none. */
  webhooks?: Pick<WebhookNotifier, 'notify' | 'progressNotifier'>;
  /** Counts finished attempts for queue stats and ETAs. */
  recordAttempt?: (attempt: FinishedAttempt) => Promise<void>;
  metrics?: AttemptMetrics;
  reportError?: (error: unknown, context: ErrorContext) => void;
  /** Tells the worker running a job to stop it (the API's control channel). */
  signalCancel?: (jobId: string) => Promise<void>;
  /** Base delay of retries (GENQ_RETRY_DELAY_MS); default 1 s. */
  retryDelayMs?: number;
  /** Minimum time between two progress writes to a row; default 1 s. */
  progressDbIntervalMs?: number;
  /** Backoff of writes retried through an outage. */
  durable?: Omit<DurableOptions, 'logger'>;
}

/**
 * The one home of a job's life. Each transition is one guarded write through `@genq/db`,
 * retried through an outage until it lands, then one emit (event, webhook, counters):
 *
 * submit → queued; claim → running; progress; complete → completed; failed → retrying or
 * failed; reject → failed; cancel → cancelled (waiting) or a cancel request (running),
 * acknowledged by its worker → cancelled; hand back → queued; rescue → queued again or
 * failed (worker_lost); age → a higher priority. docs/architecture.md draws the machine.
 */
export function createJobLifecycle(deps: JobLifecycleDeps) {
  const durably = createDurableWrites({ logger: deps.logger, ...deps.durable });
  const emit = createEmitter({
    publisher: deps.publisher,
    webhooks: deps.webhooks,
    recordAttempt: deps.recordAttempt,
    metrics: deps.metrics,
    durably,
    logger: deps.logger,
  });
  const submission = createSubmission({ jobs: deps.jobs, queue: deps.queue, logger: deps.logger });
  const attempts = createAttempts({
    jobs: deps.jobs,
    publisher: deps.publisher,
    emit,
    durably,
    logger: deps.logger,
    retryDelayMs: deps.retryDelayMs ?? 1_000,
    progressDbIntervalMs: deps.progressDbIntervalMs ?? 1_000,
    webhooks: deps.webhooks,
    metrics: deps.metrics,
    reportError: deps.reportError,
  });
  const { rescue } = createRescue({
    recovery: deps.recovery,
    queue: deps.queue,
    emit,
    deliveryExists: (rows) => deps.queue.holds(rows),
    logger: deps.logger,
  });
  const { age } = createAging({ aging: deps.aging, queue: deps.queue });
  const cancel = createCancellation({
    jobs: deps.jobs,
    queue: deps.queue,
    emit,
    signalCancel: deps.signalCancel ?? (async () => undefined),
    logger: deps.logger,
  });

  return {
    submit: submission.submit,
    submitBatch: submission.submitBatch,
    claim: attempts.claim,
    cancel,
    rescue,
    age,
  };
}

export type JobLifecycle = ReturnType<typeof createJobLifecycle>;
