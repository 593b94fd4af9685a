import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { withLogContext, type ErrorReporter, type Logger } from '@genq/core';
import type {
  AgingRepository,
  JobsRepository,
  RecoveryRepository,
  SchedulingRepository,
  WebhooksRepository,
} from '@genq/db';
import { createJobLifecycle } from '@genq/jobs';
import type { GeneratorRegistry } from '@genq/generators';
import {
  createJobEventPublisher,
  createJobQueue,
  createWebhookNotifier,
  queueNameFor,
  recordOutcome,
  subscribeControl,
  writeHeartbeat,
  type QueuedJobData,
  type RedisKeys,
  type SchedulingSettings,
  type WebhookRetryPolicy,
} from '@genq/queue';
import type { ArtifactStore } from './artifacts.ts';
import type { Executor } from './execution/executor.ts';
import { createFairWorking } from './dispatcher.ts';
import { createJobRunner } from './job-runner.ts';
import { createPriorityAging } from './priority-aging.ts';
import { createReconciler } from './reconciler.ts';
import { startWebhookWorker } from './webhooks/delivery.ts';
import { createWorkerMetrics } from './worker-metrics.ts';

export interface WorkerProcessDeps {
  /** Commands: BullMQ producers, scheduling, locks, heartbeats. */
  redis: Redis;
  /**
   * Job events and outcome counters: genq's own fire-and-forget writes, on a connection of
   * their own with ioredis auto-pipelining, so the events and counters of many jobs ending
   * in one event-loop turn go out in one write. BullMQ never uses it (its scripts rely on
   * command order within a connection that auto-pipelining does not promise across
   * pipelines).
   */
  events: Redis;
  /** Dedicated to pub/sub (control messages). */
  subscriber: Redis;
  /** Factory for BullMQ's blocking connections, one per generator queue. */
  createBlockingConnection: () => Redis;
  keys: RedisKeys;
  prefix: string;
  jobs: JobsRepository;
  recovery: RecoveryRepository;
  aging: AgingRepository;
  registry: GeneratorRegistry;
  /** Where attempts run (apps/worker/src/execution); closed with the process. */
  executor: Executor;
  artifacts: ArtifactStore;
  logger: Logger;
  generators: string[];
  concurrency: number;
  retryDelayMs: number;
  progressDbIntervalMs: number;
  /** BullMQ lock: a job whose worker stops renewing it for this long is stalled. */
  lockDurationMs: number;
  /** How often BullMQ looks for stalled jobs. */
  stalledIntervalMs: number;
  /** How often this process writes its heartbeat (default 5 s). */
  heartbeatIntervalMs?: number;
  /** How often the reconciler runs (it also runs at start). */
  reconcileIntervalMs: number;
  /** A running row untouched this long whose worker is gone gets settled. */
  abandonedAfterMs: number;
  /** Priority aging (GENQ_PRIORITY_AGING_SECONDS); absent or threshold 0 = off. */
  priorityAging?: {
    thresholdSeconds: number;
    /** Default 10 s. */
    intervalMs?: number;
  };
  /** Webhooks: absent = jobs' webhooks are neither enqueued nor delivered by this process. */
  webhooks?: {
    repository: WebhooksRepository;
    /** GENQ_WEBHOOK_ALLOWLIST */
    allowlist: string[];
    retry: WebhookRetryPolicy;
    /** Per delivery attempt. */
    timeoutMs: number;
    /** Deliveries this process makes at once; 0 = it only enqueues them. */
    concurrency: number;
    userAgent: string;
  };
  /** How often this process pushes its metrics to Redis for the API's /metrics (default 10 s; 0 = never). */
  metricsPushIntervalMs?: number;
  /** Jobs that fail for good are reported here (Sentry when SENTRY_DSN is set). */
  errorReporter?: ErrorReporter;
  /** GENQ_SCHEDULING and its settings; absent or mode `strict` = BullMQ priorities only. */
  scheduling?: { settings: SchedulingSettings; repository: SchedulingRepository };
}

const HEARTBEAT_INTERVAL_MS = 5_000;
/** How long after the shutdown deadline writes may still retry through an outage. */
const HALT_AFTER_DEADLINE_MS = 10_000;

/**
 * One worker process: a BullMQ Worker per generator queue it serves, a control-channel
 * subscription for cancellations, and a heartbeat so the API can count live workers.
 */
export async function startWorkerProcess(deps: WorkerProcessDeps) {
  const workerId = `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const logger = deps.logger.child({ workerId });
  const webhooks = deps.webhooks
    ? createWebhookNotifier({
        connection: deps.redis,
        prefix: deps.prefix,
        retry: deps.webhooks.retry,
        logger,
      })
    : undefined;
  const metrics = createWorkerMetrics({
    workerId,
    generators: deps.generators,
    concurrency: deps.concurrency,
    running: () => runner.runningIds().length,
  });
  // Fair scheduling (docs/scheduling.md): jobs reach BullMQ only as slots free up.
  const fair =
    deps.scheduling?.settings.mode === 'fair'
      ? createFairWorking({
          redis: deps.redis,
          keys: deps.keys,
          prefix: deps.prefix,
          bull: createJobQueue({
            connection: deps.redis,
            prefix: deps.prefix,
            generators: deps.registry.names(),
          }),
          settings: deps.scheduling.settings,
          repository: deps.scheduling.repository,
          generators: deps.generators,
          logger,
        })
      : undefined;
  // The reconciler and aging may re-enqueue or move jobs of any generator, not only the
  // ones served here.
  const producer = createJobQueue({
    connection: deps.redis,
    prefix: deps.prefix,
    generators: deps.registry.names(),
  });
  const lifecycle = createJobLifecycle({
    jobs: deps.jobs,
    recovery: deps.recovery,
    aging: deps.aging,
    queue: fair?.jobQueue ?? producer,
    publisher: createJobEventPublisher(deps.events, deps.keys),
    logger,
    webhooks,
    recordAttempt: (attempt) => recordOutcome(deps.events, deps.prefix, attempt),
    metrics: metrics.jobs,
    reportError: (error, context) => deps.errorReporter?.captureException(error, context),
    retryDelayMs: deps.retryDelayMs,
    progressDbIntervalMs: deps.progressDbIntervalMs,
  });
  const runner = createJobRunner({
    workerId,
    redis: deps.redis,
    keys: deps.keys,
    lifecycle,
    registry: deps.registry,
    executor: deps.executor,
    artifacts: deps.artifacts,
    logger,
    deferJob: fair?.deferJob,
  });

  const control = await subscribeControl(
    deps.subscriber,
    deps.keys,
    (message) => {
      if (message.type === 'cancel' && runner.cancel(message.job_id)) {
        logger.info('cancelling a running job', { jobId: message.job_id });
      }
    },
    logger,
  );

  const connections: Redis[] = [];
  const workers = deps.generators.map((generator) => {
    const connection = deps.createBlockingConnection();
    connections.push(connection);
    // Every line logged while the job runs carries its id, whichever logger writes it.
    const processor = (job: Job<QueuedJobData>, token?: string): Promise<void> =>
      withLogContext({ jobId: job.id }, () => runner.run(job, token));
    const worker = new Worker<QueuedJobData>(
      queueNameFor(generator),
      fair ? fair.wrap(processor) : processor,
      {
        connection,
        prefix: deps.prefix,
        concurrency: deps.concurrency,
        lockDuration: deps.lockDurationMs,
        stalledInterval: deps.stalledIntervalMs,
        // A job whose worker died twice is left to the reconciler, which settles it from
        // the attempt budget recorded in PostgreSQL.
        maxStalledCount: 2,
        autorun: false,
      },
    );
    worker.on('error', (error) => logger.error('queue worker error', { error: String(error) }));
    return worker;
  });

  // Cancel requests are also recorded in the row: catch any whose message was missed
  // (for example while the subscriber reconnected).
  const cancelPoll = setInterval(() => {
    const ids = runner.runningIds();
    if (ids.length === 0) return;
    deps.jobs
      .findCancelRequested(ids)
      .then((found) => found.forEach((id) => runner.cancel(id)))
      .catch((error: unknown) => logger.warn('cancel poll failed', { error: String(error) }));
  }, 2_000);

  const heartbeat = (): Promise<void> =>
    writeHeartbeat(deps.redis, deps.keys, {
      id: workerId,
      pid: process.pid,
      host: os.hostname(),
      generators: deps.generators,
      concurrency: deps.concurrency,
      running: runner.runningIds().length,
      jobs: runner.runningIds(),
      at: Date.now(),
    });
  const heartbeatTimer = setInterval(() => {
    heartbeat().catch((error: unknown) =>
      logger.warn('heartbeat failed', { error: String(error) }),
    );
  }, deps.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS);
  await heartbeat();
  const metricsPush = metrics.startPushing({
    redis: deps.redis,
    prefix: deps.prefix,
    intervalMs: deps.metricsPushIntervalMs ?? 10_000,
    logger,
  });

  const reconciler = createReconciler({
    redis: deps.redis,
    keys: deps.keys,
    lifecycle,
    repairScheduler: fair?.repair,
    logger,
    ownerId: workerId,
    abandonedAfterMs: deps.abandonedAfterMs,
  });
  const reconcile = (): void => {
    reconciler
      .runOnce()
      .catch((error: unknown) => logger.warn('reconciler pass failed', { error: String(error) }));
  };
  const reconcileTimer = setInterval(reconcile, deps.reconcileIntervalMs);
  reconcile();

  const aging = deps.priorityAging
    ? createPriorityAging({
        lifecycle,
        redis: deps.redis,
        prefix: deps.prefix,
        logger,
        ownerId: workerId,
        thresholdSeconds: deps.priorityAging.thresholdSeconds,
        intervalMs: deps.priorityAging.intervalMs,
      })
    : null;
  aging?.start();

  // Deliveries have their own small BullMQ worker, so they never take a job slot.
  let webhookWorker: ReturnType<typeof startWebhookWorker> | undefined;
  if (deps.webhooks && deps.webhooks.concurrency > 0) {
    const connection = deps.createBlockingConnection();
    connections.push(connection);
    webhookWorker = startWebhookWorker({
      ...deps.webhooks,
      connection,
      prefix: deps.prefix,
      logger,
    });
  }

  fair?.start();
  for (const worker of workers) void worker.run();
  logger.info('worker started', {
    generators: deps.generators,
    concurrency: deps.concurrency,
  });

  return {
    workerId,
    runner,
    reconciler,
    aging,
    fair,
    metrics,
    /** Writes this process's metrics to Redis now (they are pushed every interval anyway). */
    pushMetrics: metricsPush.push,
    /**
     * Stops taking jobs and waits for running ones; after `deadlineMs` the rest are aborted
     * and handed back to the queue.
     */
    async close(deadlineMs: number): Promise<void> {
      clearInterval(cancelPoll);
      clearInterval(heartbeatTimer);
      clearInterval(reconcileTimer);
      await aging?.stop();
      const deadline = setTimeout(() => {
        if (runner.runningIds().length > 0) {
          logger.warn('shutdown deadline reached: handing running jobs back');
          runner.abortAll();
        }
      }, deadlineMs);
      // Hand-backs (and outcomes) still retrying through an outage by then give up: their
      // jobs are delivered again by BullMQ's stalled check or rescued by the reconciler.
      const halt = setTimeout(() => runner.halt(), deadlineMs + HALT_AFTER_DEADLINE_MS);
      await Promise.all(workers.map((w) => w.close()));
      clearTimeout(deadline);
      clearTimeout(halt);
      await deps.executor.close();
      await fair?.stop();
      await fair?.jobQueue.close();
      await webhooks?.close();
      await webhookWorker?.close();
      await control.close();
      await producer.close();
      await deps.redis.hdel(deps.keys.workers, workerId).catch(() => undefined);
      await metricsPush.stop();
      await Promise.all(connections.map((c) => c.quit().catch(() => undefined)));
      logger.info('worker stopped');
    },
  };
}

export type WorkerProcess = Awaited<ReturnType<typeof startWorkerProcess>>;
