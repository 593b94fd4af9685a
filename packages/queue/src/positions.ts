import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { PRIORITIES } from '@genq/core';

/**
 * Reads of BullMQ's own structures, each O(1) or O(log n) whatever the queue length.
 *
 * How BullMQ 6 orders a queue (scripts addPrioritizedJob, moveToActive, changePriority):
 * a job with priority p ≥ 1 waits in the `prioritized` ZSET with score
 * p × 2^32 + (INCR of the queue's `pc` counter), so the set is ordered by priority, then by
 * the order jobs were added (or last changed priority). A worker takes the `wait` list first
 * (RPOPLPUSH; genq never adds jobs without a priority, so it is normally empty), then
 * ZPOPMIN of `prioritized`. Retries and hand-backs sit in the `delayed` ZSET until due, then
 * go to `prioritized` with a fresh counter. Hence, for a job in `prioritized`:
 * jobs that start before it = LLEN wait + ZRANK prioritized.
 */

export interface QueueDepth {
  /** Ready to start: the wait list plus the prioritized set. */
  ready: number;
  /** Waiting for a retry's backoff, a hand-back or a busy target. */
  delayed: number;
  /** Taken by a worker. */
  active: number;
  /** Ready jobs per priority value (ZCOUNT of each priority's score band). */
  byPriority: Record<number, number>;
}

const BAND = 0x100000000;

/** Name of one of BullMQ's keys of `queue` (wait, prioritized, delayed, active…). */
export const bullKey = (queue: Queue, type: string): string =>
  queue.keys[type] ?? queue.toKey(type);

/**
 * Depth of each queue in one pipelined round trip: LLEN wait, ZCARD prioritized,
 * ZCARD delayed, LLEN active and, with `perPriority`, one ZCOUNT per priority.
 */
export async function readQueueDepths(
  redis: Redis,
  queues: Queue[],
  options: { perPriority?: boolean; active?: boolean } = {},
): Promise<QueueDepth[]> {
  const priorities = options.perPriority ? Object.values(PRIORITIES) : [];
  const pipeline = redis.pipeline();
  for (const queue of queues) {
    pipeline.llen(bullKey(queue, 'wait'));
    pipeline.zcard(bullKey(queue, 'prioritized'));
    pipeline.zcard(bullKey(queue, 'delayed'));
    if (options.active) pipeline.llen(bullKey(queue, 'active'));
    for (const p of priorities)
      pipeline.zcount(bullKey(queue, 'prioritized'), p * BAND, (p + 1) * BAND - 1);
  }
  const results = (await pipeline.exec()) ?? [];
  const values = results.map(([error, value]) => {
    if (error) throw error;
    return Number(value);
  });
  let i = 0;
  const next = (): number => values[i++] ?? 0;
  return queues.map(() => {
    const wait = next();
    const prioritized = next();
    const delayed = next();
    const active = options.active ? next() : 0;
    const byPriority: Record<number, number> = {};
    for (const p of priorities) byPriority[p] = next();
    return { ready: wait + prioritized, delayed, active, byPriority };
  });
}

/**
 * How many jobs will start before each of `ids` in `queue`: LLEN wait + ZRANK prioritized,
 * one round trip, O(log n) per id. Null for an id that is not in the prioritized set
 * (running, delayed, finished or unknown).
 */
export async function readQueuePositions(
  redis: Redis,
  queue: Queue,
  ids: string[],
): Promise<(number | null)[]> {
  const pipeline = redis.pipeline();
  pipeline.llen(bullKey(queue, 'wait'));
  for (const id of ids) pipeline.zrank(bullKey(queue, 'prioritized'), id);
  const results = (await pipeline.exec()) ?? [];
  for (const [error] of results) if (error) throw error;
  const wait = Number(results[0]?.[1] ?? 0);
  return ids.map((_id, index) => {
    const rank = results[index + 1]?.[1];
    return rank === null || rank === undefined ? null : wait + Number(rank);
  });
}
