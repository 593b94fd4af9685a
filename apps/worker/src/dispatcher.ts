import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '@genq/core';
import type { SchedulingRepository } from '@genq/db';
import {
  createDispatcher,
  createFairScheduler,
  NO_CLIENT,
  type JobQueue,
  type QueuedJobData,
  type RedisKeys,
  type SchedulingSettings,
} from '@genq/queue';

export interface FairWorkingDeps {
  redis: Redis;
  keys: RedisKeys;
  prefix: string;
  /** BullMQ queues of every generator. */
  bull: JobQueue;
  settings: SchedulingSettings;
  repository: SchedulingRepository;
  /** Generators this process serves: it dispatches for them. */
  generators: string[];
  logger: Logger;
  /** Dispatch on a timer too (deferred jobs coming due, new workers); default 250 ms. */
  intervalMs?: number;
}

/**
 * The worker side of fair scheduling: releases a job's slot when its delivery ends (whatever
 * the outcome) and dispatches the next jobs at once, defers retries and hand-backs into the
 * scheduler, dispatches on a timer, and repairs the running slots for the reconciler.
 */
export function createFairWorking(deps: FairWorkingDeps) {
  const scheduler = createFairScheduler({
    redis: deps.redis,
    prefix: deps.prefix,
    keys: deps.keys,
    bull: deps.bull,
    settings: deps.settings,
    clientLimits: (ids) => deps.repository.clientLimits(ids),
    logger: deps.logger,
  });
  const dispatcher = createDispatcher({
    scheduler,
    generators: deps.generators,
    logger: deps.logger,
    intervalMs: deps.intervalMs ?? 250,
  });
  // Jobs re-enqueued here (reconciler) are dispatched at once when there is room.
  scheduler.onEnqueued((generator) => {
    if (deps.generators.includes(generator)) void dispatcher.kick(generator);
  });

  return {
    scheduler,
    /** The JobQueue of this process's reconciler and priority aging. */
    jobQueue: scheduler.jobQueue,
    /** Wraps the BullMQ processor: when the delivery ends, the job's slot is released. */
    wrap<T>(
      processor: (job: Job<QueuedJobData>, token?: string) => Promise<T>,
    ): (job: Job<QueuedJobData>, token?: string) => Promise<T> {
      return async (job, token) => {
        try {
          return await processor(job, token);
        } finally {
          if (job.id && job.data.client !== undefined) {
            void dispatcher.release(job.data.generator, job.id, job.data.client);
          }
        }
      };
    },
    /** JobRunnerDeps.deferJob: the job waits in the scheduler until `at`, at its old place. */
    async deferJob(job: Job<QueuedJobData>, at: number): Promise<void> {
      if (!job.id) return;
      const data: QueuedJobData =
        job.data.client !== undefined
          ? job.data
          : // Added to BullMQ by strict mode: it has no client; it waits in its own lane.
            { ...job.data, client: NO_CLIENT, lane: job.opts.priority || 2, seq: 0 };
      await scheduler.defer(job.id, data, at);
    },
    /** Reconciler step: running slots put back in line with PostgreSQL. */
    async repair(): Promise<{ released: number; added: number }> {
      return scheduler.repair(await deps.repository.runningJobs());
    },
    start: () => dispatcher.start(),
    stop: () => dispatcher.stop(),
  };
}

export type FairWorking = ReturnType<typeof createFairWorking>;
