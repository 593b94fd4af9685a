import type { Redis } from 'ioredis';
import { QueueFullError, ServiceUnavailableError } from '@genq/core';
import { readCompletedLastMinute, readQueueDepths, type JobQueue } from '@genq/queue';

export interface QueueLimitDeps {
  redis: Redis;
  prefix: string;
  queue: JobQueue;
  /** Most jobs allowed to wait (queued or waiting to retry); 0 = no limit. */
  maxPending: number;
}

/** Retry-After bounds when the queue is full. */
const MIN_RETRY_AFTER_SECONDS = 1;
const MAX_RETRY_AFTER_SECONDS = 300;
const DEFAULT_RETRY_AFTER_SECONDS = 30;

/**
 * Back-pressure on submission. Pending = ready + delayed jobs over every generator queue,
 * counted from Redis in one pipelined round trip (LLEN wait, ZCARD prioritized, ZCARD delayed
 * per queue), O(1) whatever the queue length. The check runs before anything is written.
 * It is a soft limit: submissions racing each other may pass together and overshoot it by
 * the number in flight.
 */
export function createQueueLimit(deps: QueueLimitDeps) {
  async function pendingCount(): Promise<number> {
    const [depths, outside] = await Promise.all([
      readQueueDepths(deps.redis, deps.queue.queues()),
      // Jobs waiting in the fair scheduler's queues (0 in strict mode).
      deps.queue.pendingOutside(),
    ]);
    return depths.reduce((sum, d) => sum + d.ready + d.delayed, outside);
  }

  /** Seconds until roughly `excess` jobs have drained at last minute's pace. */
  async function retryAfterSeconds(excess: number): Promise<number> {
    const perMinute = await readCompletedLastMinute(deps.redis, deps.prefix).catch(() => 0);
    if (perMinute <= 0) return DEFAULT_RETRY_AFTER_SECONDS;
    const seconds = Math.ceil((excess * 60) / perMinute);
    return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(MIN_RETRY_AFTER_SECONDS, seconds));
  }

  return {
    maxPending: deps.maxPending,
    pendingCount,
    /**
     * Throws QueueFullError (503 `queue_full` with Retry-After) when adding `count` jobs
     * would take the pending jobs above the limit. Call it before writing anything; the job
     * and batch endpoints both do.
     */
    async assertQueueHasRoom(count = 1): Promise<void> {
      if (deps.maxPending <= 0) return;
      let pending: number;
      try {
        pending = await pendingCount();
      } catch (error) {
        throw new ServiceUnavailableError('the job queue is unavailable', 5, { cause: error });
      }
      if (pending + count <= deps.maxPending) return;
      throw new QueueFullError(
        `the queue is full: ${pending} jobs are waiting (limit ${deps.maxPending}); try again later`,
        await retryAfterSeconds(pending + count - deps.maxPending),
      );
    },
  };
}

export type QueueLimit = ReturnType<typeof createQueueLimit>;
