import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '@genq/core';
import type { JobsRepository } from '@genq/db';
import type { GeneratorRegistry } from '@genq/generators';
import {
  createJobEventPublisher,
  queueNameFor,
  subscribeControl,
  type QueuedJobData,
  type RedisKeys,
} from '@genq/queue';
import type { ArtifactStore } from './artifacts.ts';
import { createJobRunner } from './job-runner.ts';

export interface WorkerProcessDeps {
  /** Commands: row-level publishing, heartbeats. */
  redis: Redis;
  /** Dedicated to pub/sub (control messages). */
  subscriber: Redis;
  /** Factory for BullMQ's blocking connections, one per generator queue. */
  createBlockingConnection: () => Redis;
  keys: RedisKeys;
  prefix: string;
  jobs: JobsRepository;
  registry: GeneratorRegistry;
  artifacts: ArtifactStore;
  logger: Logger;
  generators: string[];
  concurrency: number;
  retryDelayMs: number;
  progressDbIntervalMs: number;
}

/** BullMQ lock settings: a job whose worker stops renewing its lock for 30 s is stalled. */
export const LOCK_DURATION_MS = 30_000;
export const STALLED_INTERVAL_MS = 15_000;
const HEARTBEAT_INTERVAL_MS = 5_000;

/**
 * One worker process: a BullMQ Worker per generator queue it serves, a control-channel
 * subscription for cancellations, and a heartbeat so the API can count live workers.
 */
export async function startWorkerProcess(deps: WorkerProcessDeps) {
  const workerId = `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const logger = deps.logger.child({ workerId });
  const runner = createJobRunner({
    workerId,
    jobs: deps.jobs,
    registry: deps.registry,
    artifacts: deps.artifacts,
    publisher: createJobEventPublisher(deps.redis, deps.keys),
    logger,
    retryDelayMs: deps.retryDelayMs,
    progressDbIntervalMs: deps.progressDbIntervalMs,
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
    const worker = new Worker<QueuedJobData>(
      queueNameFor(generator),
      (job, token) => runner.run(job, token),
      {
        connection,
        prefix: deps.prefix,
        concurrency: deps.concurrency,
        lockDuration: LOCK_DURATION_MS,
        stalledInterval: STALLED_INTERVAL_MS,
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

  const heartbeat = async (): Promise<void> => {
    const beat = {
      id: workerId,
      pid: process.pid,
      host: os.hostname(),
      generators: deps.generators,
      concurrency: deps.concurrency,
      running: runner.runningIds().length,
      at: Date.now(),
    };
    await deps.redis.hset(deps.keys.workers, workerId, JSON.stringify(beat));
  };
  const heartbeatTimer = setInterval(() => {
    heartbeat().catch((error: unknown) =>
      logger.warn('heartbeat failed', { error: String(error) }),
    );
  }, HEARTBEAT_INTERVAL_MS);
  await heartbeat();

  for (const worker of workers) void worker.run();
  logger.info('worker started', {
    generators: deps.generators,
    concurrency: deps.concurrency,
  });

  return {
    workerId,
    runner,
    /**
     * Stops taking jobs and waits for running ones; after `deadlineMs` the rest are aborted
     * and handed back to the queue.
     */
    async close(deadlineMs: number): Promise<void> {
      clearInterval(cancelPoll);
      clearInterval(heartbeatTimer);
      const deadline = setTimeout(() => {
        if (runner.runningIds().length > 0) {
          logger.warn('shutdown deadline reached: handing running jobs back');
          runner.abortAll();
        }
      }, deadlineMs);
      await Promise.all(workers.map((w) => w.close()));
      clearTimeout(deadline);
      await control.close();
      await deps.redis.hdel(deps.keys.workers, workerId).catch(() => undefined);
      await Promise.all(connections.map((c) => c.quit().catch(() => undefined)));
      logger.info('worker stopped');
    },
  };
}

export type WorkerProcess = Awaited<ReturnType<typeof startWorkerProcess>>;
