import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { ServiceUnavailableError } from '@genq/core';
import { queueNameFor } from './keys.ts';

/** What travels in Redis with each job. The row in PostgreSQL holds everything else. */
export interface QueuedJobData {
  generator: string;
  /** Exclusive target: checked before the job claims its row. */
  target?: string;
  /** Fair scheduling: the job's client ('-' for none), lane and place, to release its slot. */
  client?: string;
  lane?: number;
  seq?: number;
}

export interface EnqueueRequest {
  id: string;
  generator: string;
  priority: number;
  target?: string | null;
  /** Delay before the first attempt (used when re-enqueueing a retrying job). */
  delayMs?: number;
  /** The job's client: fair scheduling shares workers between clients (strict mode ignores it). */
  clientId?: string | null;
}

export interface JobQueueOptions {
  connection: Redis;
  prefix: string;
  generators: string[];
}

export interface JobQueue {
  enqueue(requests: EnqueueRequest[]): Promise<void>;
  /** Removes a waiting/delayed job; false when it is active (locked by a worker) or absent. */
  remove(generator: string, id: string): Promise<boolean>;
  queueFor(generator: string): Queue<QueuedJobData>;
  queues(): Queue<QueuedJobData>[];
  close(): Promise<void>;
  /** Priority aging: moves a waiting job to `priority`; false when it is not waiting here. */
  changePriority(request: { id: string; generator: string; priority: number }): Promise<boolean>;
  /** For each job, whether Redis holds it (waiting, delayed or running); the reconciler re-adds the rest. */
  holds(jobs: { id: string; generator: string }[]): Promise<boolean[]>;
  /** Waiting jobs held outside BullMQ's sets (the fair scheduler's queues); 0 in strict mode. */
  pendingOutside(): Promise<number>;
}

/**
 * BullMQ runs each job once (`attempts: 1`): retries are genq's, counted in the job row and
 * scheduled by the worker with `moveToDelayed`, so a retry survives a Redis loss and its
 * `next_attempt_at` is known exactly.
 */
export function jobOptions(request: EnqueueRequest): JobsOptions {
  return {
    jobId: request.id,
    priority: request.priority,
    attempts: 1,
    delay: request.delayMs,
    // PostgreSQL keeps the history; Redis keeps only what is live.
    removeOnComplete: true,
    removeOnFail: true,
  };
}

export function createJobQueue(options: JobQueueOptions): JobQueue {
  const queues = new Map(
    options.generators.map((generator) => {
      const queue = new Queue<QueuedJobData>(queueNameFor(generator), {
        connection: options.connection,
        prefix: options.prefix,
      });
      // A Redis outage already shows as failed commands (503 to clients) and on the shared
      // connection's own error listener; without a listener here each queue would print
      // every reconnection failure again.
      queue.on('error', () => undefined);
      return [generator, queue] as const;
    }),
  );

  function queueFor(generator: string): Queue<QueuedJobData> {
    const queue = queues.get(generator);
    if (!queue) throw new Error(`no queue for generator ${generator}`);
    return queue;
  }

  return {
    async enqueue(requests) {
      const byGenerator = new Map<string, EnqueueRequest[]>();
      for (const request of requests) {
        const list = byGenerator.get(request.generator) ?? [];
        list.push(request);
        byGenerator.set(request.generator, list);
      }
      try {
        await Promise.all(
          [...byGenerator].map(([generator, list]) =>
            queueFor(generator).addBulk(
              list.map((r) => ({
                name: generator,
                data: r.target ? { generator, target: r.target } : { generator },
                opts: jobOptions(r),
              })),
            ),
          ),
        );
      } catch (error) {
        throw new ServiceUnavailableError('the job queue is unavailable', 5, { cause: error });
      }
    },
    async remove(generator, id) {
      const removed = await queueFor(generator).remove(id);
      return removed === 1;
    },
    queueFor,
    queues: () => [...queues.values()],
    async close() {
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
    async changePriority(request) {
      // Throws when the job is not in the queue (or is active): the caller counts it as not moved.
      await queueFor(request.generator).getBackend().changePriority(request.id, request.priority);
      return true;
    },
    async holds(jobs) {
      if (jobs.length === 0) return [];
      const pipeline = options.connection.pipeline();
      for (const job of jobs) {
        pipeline.exists(`${options.prefix}:${queueNameFor(job.generator)}:${job.id}`);
      }
      const results = (await pipeline.exec()) ?? [];
      return jobs.map((_job, i) => results[i]?.[1] !== 0);
    },
    pendingOutside: async () => 0,
  };
}
