import type { Redis } from 'ioredis';
import type { Logger } from '@genq/core';
import { createSchedulingRepository, type Database } from '@genq/db';
import {
  createDispatcher,
  createFairScheduler,
  createJobQueue,
  type FairScheduler,
  type JobQueue,
  type RedisKeys,
  type SchedulingSettings,
} from '@genq/queue';

export interface ApiJobQueueDeps {
  db: Database;
  redis: Redis;
  keys: RedisKeys;
  prefix: string;
  generators: string[];
  logger: Logger;
  /** Absent or mode `strict`: jobs go straight to BullMQ with their priority. */
  scheduling?: SchedulingSettings;
}

/**
 * The API's job queue. Strict mode: BullMQ's queues. Fair mode: the fair scheduler's queues
 * (docs/scheduling.md); after each submission the API dispatches at once, so on an idle
 * fleet a job reaches a worker without waiting for a worker's dispatch timer.
 */
export function createApiJobQueue(deps: ApiJobQueueDeps): {
  queue: JobQueue;
  fair?: FairScheduler;
  close(): Promise<void>;
} {
  const bull = createJobQueue({
    connection: deps.redis,
    prefix: deps.prefix,
    generators: deps.generators,
  });
  if (deps.scheduling?.mode !== 'fair') return { queue: bull, close: () => bull.close() };
  const repository = createSchedulingRepository(deps.db);
  const fair = createFairScheduler({
    redis: deps.redis,
    prefix: deps.prefix,
    keys: deps.keys,
    bull,
    settings: deps.scheduling,
    clientLimits: (ids) => repository.clientLimits(ids),
    logger: deps.logger,
  });
  const dispatcher = createDispatcher({
    scheduler: fair,
    generators: deps.generators,
    logger: deps.logger,
  });
  fair.onEnqueued((generator) => void dispatcher.kick(generator));
  return {
    queue: fair.jobQueue,
    fair,
    async close() {
      await dispatcher.stop();
      await bull.close();
    },
  };
}
