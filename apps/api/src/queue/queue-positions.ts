import type { Redis } from 'ioredis';
import type { JobRecord } from '@genq/db';
import type { GeneratorRegistry } from '@genq/generators';
import {
  liveWorkers,
  readQueuePositions,
  readRecentRuns,
  type FairScheduler,
  type Heartbeat,
  type JobQueue,
  type RecentRuns,
  type RedisKeys,
} from '@genq/queue';

/** Where a waiting job stands: both null when it is not waiting in its queue. */
export interface QueuePlacement {
  /** Jobs that will start before it (priorities counted), 0 = next. */
  position: number | null;
  /** Rough seconds until it completes; null when unknown (no live worker serves it). */
  eta_seconds: number | null;
}

export const NOT_WAITING: QueuePlacement = { position: null, eta_seconds: null };

export interface QueuePositionsDeps {
  redis: Redis;
  keys: RedisKeys;
  prefix: string;
  queue: JobQueue;
  registry: GeneratorRegistry;
  /** How long live workers and recent throughput are reused between requests. */
  cacheMs?: number;
  /** Fair scheduling: positions follow its rotation (docs/scheduling.md). */
  fair?: FairScheduler;
}

interface DrainInputs {
  /** Job slots of live workers serving the generator. */
  capacity: number;
  recent: RecentRuns;
}

/**
 * Position and ETA of waiting jobs, cheap at any queue length.
 *
 * Position: LLEN wait + ZRANK of the job in its generator's `prioritized` set, one round
 * trip, O(log n) (see packages/queue/src/positions.ts for how BullMQ orders the set).
 * Null while the job is running, delayed (waiting for a retry's backoff) or finished.
 * Under fair scheduling: the scheduler's own count of the jobs its rotation starts first
 * (one script, O(clients waiting in the job's lane); see docs/scheduling.md).
 *
 * ETA: the generator's queue drains at `capacity ÷ average run time`, where capacity is the
 * job slots of live workers serving it (heartbeats) and the average run time comes from the
 * attempts that ended in the last five minutes (Redis throughput buckets). This is recent
 * throughput per busy slot, so an idle spell before a burst does not make it look slow.
 * With no recent run, the job's own `estimateSeconds` stands in for the average.
 * eta = position ÷ drain rate + the job's own estimate. Null when no live worker serves the
 * generator. Workers and throughput are cached for `cacheMs` (1 s), so a poll costs one
 * round trip.
 */
export function createQueuePositions(deps: QueuePositionsDeps) {
  const cacheMs = deps.cacheMs ?? 1_000;
  let workers: { at: number; value: Promise<Heartbeat[]> } | null = null;
  const recent = new Map<string, { at: number; value: Promise<RecentRuns> }>();

  function cachedWorkers(now: number): Promise<Heartbeat[]> {
    if (!workers || now - workers.at > cacheMs) {
      const value = liveWorkers(deps.redis, deps.keys, now);
      workers = { at: now, value };
      value.catch(() => (workers = null));
    }
    return workers.value;
  }

  function cachedRecentRuns(generator: string, now: number): Promise<RecentRuns> {
    const hit = recent.get(generator);
    if (hit && now - hit.at <= cacheMs) return hit.value;
    const value = readRecentRuns(deps.redis, deps.prefix, generator, now);
    recent.set(generator, { at: now, value });
    value.catch(() => recent.delete(generator));
    return value;
  }

  async function drainInputs(generator: string): Promise<DrainInputs> {
    const now = Date.now();
    const [live, runs] = await Promise.all([cachedWorkers(now), cachedRecentRuns(generator, now)]);
    const capacity = live
      .filter((w) => w.generators.includes(generator))
      .reduce((sum, w) => sum + w.concurrency, 0);
    return { capacity, recent: runs };
  }

  /** The generator's own guess for this job's run time, in seconds. */
  function ownEstimate(job: JobRecord): number | null {
    const generator = deps.registry.get(job.generator);
    const parsed = generator?.input.safeParse(job.input);
    if (!generator || !parsed?.success) return null;
    const seconds = generator.estimateSeconds(parsed.data);
    return Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
  }

  /**
   * `client`: under fair scheduling, the job's client has `ahead` of its own jobs to run
   * first with at most `cap` at a time, so the job waits at least that long too.
   */
  async function etaSeconds(
    job: JobRecord,
    position: number,
    client?: { ahead: number; cap: number },
  ): Promise<number | null> {
    const { capacity, recent: runs } = await drainInputs(job.generator);
    if (capacity === 0) return null;
    const own = ownEstimate(job);
    const averageRun = runs.runs > 0 ? runs.runMs / runs.runs / 1000 : own;
    if (averageRun === null) return null;
    let wait = (position * Math.max(averageRun, 0.001)) / capacity;
    if (client && client.cap > 0 && client.ahead > 0) {
      const slots = Math.min(client.cap, capacity);
      wait = Math.max(wait, (client.ahead * Math.max(averageRun, 0.001)) / slots);
    }
    return Math.round((wait + (own ?? averageRun)) * 10) / 10;
  }

  return {
    /** Position and ETA of one job; nulls when it is not waiting or Redis cannot say. */
    async placementOf(job: JobRecord): Promise<QueuePlacement> {
      if (job.status !== 'queued' && job.status !== 'retrying') return NOT_WAITING;
      try {
        if (deps.fair) {
          const fair = await deps.fair.positionOf(job.generator, job.id);
          if (!fair) return NOT_WAITING;
          return {
            position: fair.position,
            eta_seconds: await etaSeconds(job, fair.position, {
              ahead: Math.max(0, fair.rank),
              cap: fair.cap,
            }),
          };
        }
        const queue = deps.queue.queueFor(job.generator);
        const [position] = await readQueuePositions(deps.redis, queue, [job.id]);
        if (position === null || position === undefined) return NOT_WAITING;
        return { position, eta_seconds: await etaSeconds(job, position) };
      } catch {
        // The row still answers; position is a hint, not worth a 503.
        return NOT_WAITING;
      }
    },
  };
}

export type QueuePositions = ReturnType<typeof createQueuePositions>;
