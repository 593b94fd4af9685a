import type { Redis } from 'ioredis';
import { PRIORITIES, PRIORITY_NAMES, type PriorityName } from '@genq/core';
import type { JobsRepository } from '@genq/db';
import type { GeneratorRegistry } from '@genq/generators';
import {
  liveWorkers,
  queueNameFor,
  readCompletedLastMinute,
  readOutcomeTotals,
  readQueueDepths,
  type FairScheduler,
  type FairStats,
  type JobQueue,
  type RedisKeys,
} from '@genq/queue';

export interface QueueStatsDeps {
  jobs: Pick<JobsRepository, 'oldestWaitingCreatedAt' | 'countByStatusForClient'>;
  redis: Redis;
  keys: RedisKeys;
  prefix: string;
  queue: JobQueue;
  registry: GeneratorRegistry;
  /** Fair scheduling: its waiting jobs count as pending, and `scheduling` shows its load. */
  fair?: FairScheduler;
  /** Clients listed in `scheduling.clients` (default 10). */
  topClients?: number;
}

/** Fair scheduling's view: waiting and running jobs per tier lane and per client (top N). */
export interface SchedulingStats {
  mode: 'fair' | 'strict';
  weights?: Record<string, number>;
  /** Per tier lane (premium = HIGH, standard = NORMAL, free = LOW): jobs waiting in the scheduler and running. */
  tiers?: FairStats['byTier'];
  /** The clients with the most waiting or running jobs. */
  clients?: FairStats['topClients'];
  clients_waiting?: number;
  clients_running?: number;
}

type ByPriority = Record<PriorityName, number>;

export interface GeneratorQueueStats {
  queue: string;
  pending: number;
  delayed: number;
  processing: number;
  pending_by_priority: ByPriority;
  completed: number;
  failed: number;
  cancelled: number;
  /** Job slots of live workers serving this generator. */
  live_capacity: number;
}

/** The operators' view (admin key or metrics token): the whole fleet, identities included. */
export interface QueueStats {
  scope: 'fleet';
  /** Waiting jobs: ready to start plus delayed (waiting for a retry, a hand-back, a busy target). */
  pending: number;
  /** The delayed part of `pending`. */
  delayed: number;
  processing: number;
  /** Totals since the Redis counters were created (PostgreSQL keeps the full history). */
  completed: number;
  failed: number;
  cancelled: number;
  /** Ready jobs per priority (delayed ones take their priority when they become ready). */
  pending_by_priority: ByPriority;
  oldest_pending_job_age_seconds: number | null;
  /** Mean run time (start to end of the last attempt) of the completed jobs counted above. */
  average_processing_time_seconds: number | null;
  /** Completed in the current 10-second bucket and the five before (a 50–60 s window). */
  completed_last_minute: number;
  /** Workers whose heartbeat is newer than HEARTBEAT_STALE_MS (20 s; beats every 5 s). */
  live_workers: number;
  /** Job slots of the live workers (each worker's concurrency, summed). */
  job_slots: number;
  workers: {
    id: string;
    host: string;
    pid: number;
    generators: string[];
    concurrency: number;
    running: number;
    last_heartbeat_seconds_ago: number;
  }[];
  queues: Record<string, GeneratorQueueStats>;
  scheduling: SchedulingStats;
  timestamp: string;
}

/** A client's own jobs, by where they stand. */
export interface OwnJobCounts {
  /** Queued or waiting to retry. */
  pending: number;
  processing: number;
  completed: number;
  failed: number;
  cancelled: number;
}

/**
 * A client key's view: its own jobs' counts, plus the fleet-wide figures that its jobs'
 * positions and ETAs follow from (how much waits and runs ahead of it, how fast the fleet
 * drains, how many job slots are live), without any worker's or other client's identity or
 * counts.
 */
export type ClientQueueStats = { scope: 'client'; own: OwnJobCounts } & Pick<
  QueueStats,
  | 'pending'
  | 'delayed'
  | 'processing'
  | 'pending_by_priority'
  | 'oldest_pending_job_age_seconds'
  | 'average_processing_time_seconds'
  | 'completed_last_minute'
  | 'live_workers'
  | 'job_slots'
  | 'timestamp'
> & {
    queues: Record<string, Omit<GeneratorQueueStats, 'completed' | 'failed' | 'cancelled'>>;
    scheduling: Pick<SchedulingStats, 'mode' | 'weights' | 'tiers'>;
  };

/** The part of the fleet's stats a client may see (see ClientQueueStats). */
export function clientView(fleet: QueueStats, own: OwnJobCounts): ClientQueueStats {
  const queues: ClientQueueStats['queues'] = {};
  for (const [name, q] of Object.entries(fleet.queues)) {
    queues[name] = {
      queue: q.queue,
      pending: q.pending,
      delayed: q.delayed,
      processing: q.processing,
      pending_by_priority: q.pending_by_priority,
      live_capacity: q.live_capacity,
    };
  }
  const { mode, weights, tiers } = fleet.scheduling;
  return {
    scope: 'client',
    own,
    pending: fleet.pending,
    delayed: fleet.delayed,
    processing: fleet.processing,
    pending_by_priority: fleet.pending_by_priority,
    oldest_pending_job_age_seconds: fleet.oldest_pending_job_age_seconds,
    average_processing_time_seconds: fleet.average_processing_time_seconds,
    completed_last_minute: fleet.completed_last_minute,
    live_workers: fleet.live_workers,
    job_slots: fleet.job_slots,
    queues,
    scheduling: mode === 'fair' ? { mode, weights, tiers } : { mode },
    timestamp: fleet.timestamp,
  };
}

const emptyByPriority = (): ByPriority => ({ HIGH: 0, NORMAL: 0, LOW: 0 });

/**
 * `GET /api/v1/queue/stats`, with a fixed cost whatever the number of jobs:
 * - pending, delayed, processing and per-priority counts: one Redis pipeline of LLEN/ZCARD/
 *   ZCOUNT per generator queue (O(log n) each);
 * - completed/failed/cancelled totals and the average run time: Redis counters kept by
 *   whoever ends a job (see packages/queue/src/throughput.ts for why not SQL counts);
 * - completed in the last minute: six 10-second buckets;
 * - live workers: the heartbeat hash;
 * - the oldest waiting job: six index probes on jobs(status, priority, created_at), the first
 *   entry of each (status, priority) range, in one statement.
 */
export function createQueueStats(deps: QueueStatsDeps) {
  const oldestPendingCreatedAt = () => deps.jobs.oldestWaitingCreatedAt();

  return {
    async stats(): Promise<QueueStats> {
      const generators = deps.registry.names();
      const now = Date.now();
      const [depths, totals, completedLastMinute, workers, oldest, fair] = await Promise.all([
        readQueueDepths(
          deps.redis,
          generators.map((g) => deps.queue.queueFor(g)),
          { perPriority: true, active: true },
        ),
        readOutcomeTotals(deps.redis, deps.prefix),
        readCompletedLastMinute(deps.redis, deps.prefix, now),
        liveWorkers(deps.redis, deps.keys, now),
        oldestPendingCreatedAt(),
        deps.fair?.stats(generators, deps.topClients ?? 10),
      ]);

      const queues: Record<string, GeneratorQueueStats> = {};
      const byPriority = emptyByPriority();
      let [pending, delayed, processing] = [0, 0, 0];
      generators.forEach((generator, index) => {
        const depth = { ...depths[index]! };
        // Jobs waiting in the fair scheduler are pending too (deferred ones as delayed).
        const held = fair?.generators[generator];
        if (held) {
          depth.byPriority = { ...depth.byPriority };
          for (const [lane, n] of Object.entries(held.byLane)) {
            depth.byPriority[Number(lane)] = (depth.byPriority[Number(lane)] ?? 0) + n;
            depth.ready += n;
          }
          depth.ready += held.handoff;
          depth.delayed += held.deferred;
        }
        const own = emptyByPriority();
        for (const name of PRIORITY_NAMES) {
          own[name] = depth.byPriority[PRIORITIES[name]] ?? 0;
          byPriority[name] += own[name];
        }
        pending += depth.ready + depth.delayed;
        delayed += depth.delayed;
        processing += depth.active;
        const outcomes = totals.byGenerator[generator];
        queues[generator] = {
          queue: queueNameFor(generator),
          pending: depth.ready + depth.delayed,
          delayed: depth.delayed,
          processing: depth.active,
          pending_by_priority: own,
          completed: outcomes?.completed ?? 0,
          failed: outcomes?.failed ?? 0,
          cancelled: outcomes?.cancelled ?? 0,
          live_capacity: workers
            .filter((w) => w.generators.includes(generator))
            .reduce((sum, w) => sum + w.concurrency, 0),
        };
      });

      return {
        scope: 'fleet',
        pending,
        delayed,
        processing,
        completed: totals.completed,
        failed: totals.failed,
        cancelled: totals.cancelled,
        pending_by_priority: byPriority,
        oldest_pending_job_age_seconds: oldest
          ? Math.max(0, Math.round((now - oldest.getTime()) / 100) / 10)
          : null,
        average_processing_time_seconds:
          totals.completed > 0 ? Math.round(totals.completedMs / totals.completed) / 1000 : null,
        completed_last_minute: completedLastMinute,
        live_workers: workers.length,
        job_slots: workers.reduce((sum, w) => sum + w.concurrency, 0),
        workers: workers.map((w) => ({
          id: w.id,
          host: w.host,
          pid: w.pid,
          generators: w.generators,
          concurrency: w.concurrency,
          running: w.running,
          last_heartbeat_seconds_ago: Math.max(0, Math.round((now - w.at) / 100) / 10),
        })),
        queues,
        scheduling: fair
          ? {
              mode: 'fair',
              weights: deps.fair?.settings.weights,
              tiers: fair.byTier,
              clients: fair.topClients,
              clients_waiting: fair.clientsWaiting,
              clients_running: fair.clientsRunning,
            }
          : { mode: 'strict' },
        timestamp: new Date(now).toISOString(),
      };
    },

    /** What a client key sees: the fleet's figures without identities, and its own counts. */
    async forClient(clientId: string): Promise<ClientQueueStats> {
      const [fleet, counts] = await Promise.all([
        this.stats(),
        deps.jobs.countByStatusForClient(clientId),
      ]);
      return clientView(fleet, {
        pending: counts.queued + counts.retrying,
        processing: counts.running,
        completed: counts.completed,
        failed: counts.failed,
        cancelled: counts.cancelled,
      });
    },
  };
}

export type QueueStatsService = ReturnType<typeof createQueueStats>;
