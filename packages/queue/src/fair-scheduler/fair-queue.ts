import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { PRIORITIES, ServiceUnavailableError, type Logger } from '@genq/core';
import {
  jobOptions,
  type EnqueueRequest,
  type JobQueue,
  type QueuedJobData,
} from '../job-queue.ts';
import { queueNameFor, type RedisKeys } from '../keys.ts';
import { liveWorkers, type Heartbeat } from '../worker-registry.ts';
import {
  CHANGE_LANE,
  DEFER,
  DISPATCH,
  ENQUEUE,
  POSITION,
  REPAIR,
  REMOVE,
  UNDISPATCH,
} from './scripts.ts';
import { LANE_TIER, laneWeights, type SchedulingSettings, type Tier } from './settings.ts';

/** Client id used for jobs that have none. */
export const NO_CLIENT = '-';
/** A job handed to BullMQ by a dispatcher that died before finishing is dropped after this. */
const STALE_HANDOFF_MS = 60_000;
const CAPACITY_CACHE_MS = 1_000;
const CAP_CACHE_MS = 5_000;

export interface ClientLimit {
  id: string;
  tier: Tier;
  maxConcurrency: number | null;
}

/** Reads clients' tiers and max_concurrency (PostgreSQL). */
export type ClientLimitsSource = (ids: string[]) => Promise<ClientLimit[]>;

export interface FairSchedulerOptions {
  redis: Redis;
  prefix: string;
  keys: RedisKeys;
  /** BullMQ queues of every generator: dispatched jobs go there. */
  bull: JobQueue;
  settings: SchedulingSettings;
  clientLimits?: ClientLimitsSource;
  logger?: Logger;
  /** Jobs handed to BullMQ beyond its free slots (default 0: decisions as late as possible). */
  extra?: number;
}

export interface DispatchedJob {
  id: string;
  client: string;
  lane: number;
  seq: number;
  target: string;
}

export interface FairPosition {
  /** Jobs that start before it (0 = next). */
  position: number;
  /** Jobs of its client in its lane ahead of it; -1 once handed to BullMQ. */
  rank: number;
  /** Its client's cap (0 = none) and running jobs. */
  cap: number;
  running: number;
}

export interface RunningJob {
  id: string;
  clientId: string | null;
  generator: string;
  priority: number;
}

export interface ClientLoad {
  client_id: string;
  waiting: number;
  running: number;
}

export interface TierLoad {
  waiting: number;
  running: number;
}

export interface FairStats {
  /** Per generator: ready jobs per lane, deferred jobs (retry backoff, busy target), jobs in hand-off. */
  generators: Record<string, { byLane: Record<number, number>; deferred: number; handoff: number }>;
  byTier: Record<Tier, TierLoad>;
  /** Clients with the most waiting jobs and those with the most running ones (top N each). */
  topClients: ClientLoad[];
  /** Clients with waiting jobs / with running jobs. */
  clientsWaiting: number;
  clientsRunning: number;
}

interface Script {
  lua: string;
  sha: string;
}

const script = (lua: string): Script => ({
  lua,
  sha: createHash('sha1').update(lua).digest('hex'),
});
const SCRIPTS = {
  enqueue: script(ENQUEUE),
  dispatch: script(DISPATCH),
  undispatch: script(UNDISPATCH),
  defer: script(DEFER),
  remove: script(REMOVE),
  changeLane: script(CHANGE_LANE),
  position: script(POSITION),
  repair: script(REPAIR),
};

async function run(redis: Redis, s: Script, args: (string | number)[]): Promise<unknown> {
  try {
    return await redis.evalsha(s.sha, 0, ...args);
  } catch (error) {
    if (!String(error).includes('NOSCRIPT')) throw error;
    return redis.eval(s.lua, 0, ...args);
  }
}

const laneOf = (priority: number): number =>
  priority >= PRIORITIES.HIGH && priority <= PRIORITIES.LOW ? priority : PRIORITIES.NORMAL;

/**
 * genq's fair scheduler: waiting jobs live in per-client FIFOs in Redis, and a dispatcher
 * hands them to the generator's BullMQ queue only as worker slots free up, choosing lanes by
 * weight (smooth weighted round robin) and clients within a lane in rotation, skipping clients
 * at their concurrency cap. BullMQ still runs the jobs (locks, stalled jobs). See
 * docs/scheduling.md.
 */
export function createFairScheduler(options: FairSchedulerOptions) {
  const { redis, settings } = options;
  const base = `${options.prefix}:fair`;
  const weights = laneWeights(settings.weights);
  const extra = options.extra ?? 0;
  const bullPrefix = (generator: string): string => `${options.prefix}:${queueNameFor(generator)}:`;
  const gk = (generator: string, suffix: string): string => `${base}:g:${generator}:${suffix}`;
  const enqueuedListeners: ((generator: string) => void)[] = [];

  let workers: { at: number; value: Promise<Heartbeat[]> } | null = null;
  function capacity(generator: string): Promise<number> {
    const now = Date.now();
    if (!workers || now - workers.at > CAPACITY_CACHE_MS) {
      const value = liveWorkers(redis, options.keys, now);
      workers = { at: now, value };
      value.catch(() => (workers = null));
    }
    return workers.value.then((live) =>
      live
        .filter((w) => w.generators.includes(generator))
        .reduce((sum, w) => sum + w.concurrency, 0),
    );
  }

  const caps = new Map<string, { at: number; cap: number }>();
  const capFor = (limit: ClientLimit): number =>
    limit.maxConcurrency ?? settings.concurrency[limit.tier] ?? 0;

  /** Caps of `clients` (0 = none), from a 5-second cache or PostgreSQL. */
  async function resolveCaps(clients: string[]): Promise<Map<string, number>> {
    const now = Date.now();
    const out = new Map<string, number>();
    const missing: string[] = [];
    for (const id of clients) {
      if (id === NO_CLIENT) continue;
      const hit = caps.get(id);
      if (hit && now - hit.at < CAP_CACHE_MS) out.set(id, hit.cap);
      else missing.push(id);
    }
    if (missing.length > 0 && options.clientLimits) {
      for (const limit of await options.clientLimits(missing)) {
        const cap = capFor(limit);
        caps.set(limit.id, { at: now, cap });
        out.set(limit.id, cap);
      }
    }
    return out;
  }

  async function enqueue(requests: EnqueueRequest[]): Promise<void> {
    const byGenerator = new Map<string, EnqueueRequest[]>();
    for (const request of requests) {
      const list = byGenerator.get(request.generator) ?? [];
      list.push(request);
      byGenerator.set(request.generator, list);
    }
    try {
      const clientCaps = await resolveCaps([
        ...new Set(requests.map((r) => r.clientId ?? NO_CLIENT)),
      ]);
      const now = Date.now();
      for (const [generator, list] of byGenerator) {
        options.bull.queueFor(generator); // throws for an unknown generator, as strict mode does
        const args: (string | number)[] = [
          base,
          generator,
          bullPrefix(generator),
          now,
          list.length,
        ];
        const clients = new Set<string>();
        for (const r of list) {
          const client = r.clientId ?? NO_CLIENT;
          clients.add(client);
          args.push(
            r.id,
            client,
            laneOf(r.priority),
            r.target ?? '',
            r.delayMs ? now + r.delayMs : 0,
          );
        }
        const withCaps = [...clients].filter((c) => clientCaps.has(c));
        args.push(withCaps.length);
        for (const c of withCaps) args.push(c, clientCaps.get(c)!);
        await run(redis, SCRIPTS.enqueue, args);
      }
    } catch (error) {
      throw new ServiceUnavailableError('the job queue is unavailable', 5, { cause: error });
    }
    for (const generator of byGenerator.keys()) {
      for (const listener of enqueuedListeners) listener(generator);
    }
  }

  /**
   * Releases the slots of `released` jobs, then hands as many waiting jobs to BullMQ as the
   * generator has free slots. Returns the jobs handed over.
   */
  async function dispatch(
    generator: string,
    released: { id: string; client: string }[] = [],
  ): Promise<DispatchedJob[]> {
    const slots = await capacity(generator);
    const args: (string | number)[] = [
      base,
      generator,
      bullPrefix(generator),
      Date.now(),
      slots,
      extra,
      0,
      ...weights,
      STALE_HANDOFF_MS,
      released.length,
    ];
    for (const r of released) args.push(r.id, r.client);
    const raw = (await run(redis, SCRIPTS.dispatch, args)) as string[];
    const jobs: DispatchedJob[] = [];
    for (let i = 0; i < raw.length; i += 5) {
      jobs.push({
        id: raw[i]!,
        client: raw[i + 1]!,
        lane: Number(raw[i + 2]),
        seq: Number(raw[i + 3]),
        target: raw[i + 4] ?? '',
      });
    }
    if (jobs.length === 0) return jobs;
    try {
      await options.bull.queueFor(generator).addBulk(
        jobs.map((job) => {
          const data: QueuedJobData = {
            generator,
            client: job.client,
            lane: job.lane,
            seq: job.seq,
          };
          if (job.target) data.target = job.target;
          // No BullMQ priority: dispatched jobs wait in BullMQ's plain FIFO list, in the
          // order the scheduler chose.
          const opts = jobOptions({ id: job.id, generator, priority: 0 });
          delete opts.priority;
          return { name: generator, data, opts };
        }),
      );
    } catch (error) {
      const back: (string | number)[] = [base, generator, 0, jobs.length];
      for (const job of jobs) back.push(job.id, job.client, job.lane, job.seq, job.target);
      await run(redis, SCRIPTS.undispatch, back).catch(() => undefined);
      throw error;
    }
    await redis.zrem(gk(generator, 'handoff'), ...jobs.map((job) => job.id));
    return jobs;
  }

  async function defer(id: string, data: QueuedJobData, at: number): Promise<void> {
    await run(redis, SCRIPTS.defer, [
      base,
      data.generator,
      id,
      data.client ?? NO_CLIENT,
      data.lane ?? PRIORITIES.NORMAL,
      data.seq ?? 0,
      data.target ?? '',
      at,
    ]);
  }

  async function remove(generator: string, id: string): Promise<boolean> {
    return Number(await run(redis, SCRIPTS.remove, [base, generator, id])) === 1;
  }

  async function changeLane(generator: string, id: string, priority: number): Promise<boolean> {
    return Number(await run(redis, SCRIPTS.changeLane, [base, generator, id, priority])) === 1;
  }

  async function positionOf(generator: string, id: string): Promise<FairPosition | null> {
    const raw = (await run(redis, SCRIPTS.position, [
      base,
      generator,
      bullPrefix(generator),
      id,
      0,
      ...weights,
    ])) as number[] | null;
    if (!raw) return null;
    return {
      position: Math.max(0, Number(raw[0])),
      rank: Number(raw[1]),
      cap: Number(raw[2]),
      running: Number(raw[3]),
    };
  }

  /** Whether each job is held here or by BullMQ (the reconciler re-adds the others). */
  async function holds(jobs: { id: string; generator: string }[]): Promise<boolean[]> {
    if (jobs.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const job of jobs) {
      pipeline.hexists(gk(job.generator, 'meta'), job.id);
      pipeline.zscore(gk(job.generator, 'handoff'), job.id);
      pipeline.exists(`${bullPrefix(job.generator)}${job.id}`);
    }
    const results = (await pipeline.exec()) ?? [];
    return jobs.map((_job, i) => {
      const [meta, handoff, bull] = [0, 1, 2].map((k) => results[i * 3 + k]);
      // A failed read counts as held: the reconciler never adds a job twice on a doubt.
      if (meta?.[0] || handoff?.[0] || bull?.[0]) return true;
      return meta?.[1] === 1 || handoff?.[1] !== null || bull?.[1] === 1;
    });
  }

  /**
   * Repairs the running slots from the jobs PostgreSQL says are running (see REPAIR), and
   * refreshes the caps of the clients with waiting or running jobs.
   */
  async function repair(running: RunningJob[]): Promise<{ released: number; added: number }> {
    const args: (string | number)[] = [base, '', `${options.prefix}:`, 0, running.length];
    for (const job of running) {
      args.push(job.id, job.clientId ?? NO_CLIENT, job.generator, laneOf(job.priority));
    }
    const [released, added] = (await run(redis, SCRIPTS.repair, args)) as number[];
    if (options.clientLimits) {
      const [waiting, busy] = await Promise.all([
        redis.zrange(`${base}:waiting`, '0', '-1'),
        redis.zrange(`${base}:running`, '0', '-1'),
      ]);
      const ids = [...new Set([...waiting, ...busy])].filter((c) => c !== NO_CLIENT);
      for (let i = 0; i < ids.length; i += 1000) {
        const limits = await options.clientLimits(ids.slice(i, i + 1000));
        if (limits.length === 0) continue;
        const fields: (string | number)[] = [];
        for (const limit of limits) fields.push(limit.id, capFor(limit));
        await redis.hset(`${base}:caps`, ...fields);
      }
    }
    return { released: Number(released), added: Number(added) };
  }

  /** Jobs waiting here (ready, deferred or being handed over), all generators. */
  async function pending(): Promise<number> {
    const generators = options.bull.queues().map((q) => q.name.replace(/^generation\./, ''));
    const pipeline = redis.pipeline();
    for (const g of generators) {
      pipeline.hvals(gk(g, 'waiting'));
      pipeline.zcard(gk(g, 'delayed'));
      pipeline.zcard(gk(g, 'handoff'));
    }
    const results = (await pipeline.exec()) ?? [];
    let total = 0;
    for (const [error, value] of results) {
      if (error) throw error;
      total += Array.isArray(value) ? value.reduce((s, v) => s + Number(v), 0) : Number(value);
    }
    return total;
  }

  async function stats(generators: string[], top = 10): Promise<FairStats> {
    const pipeline = redis.pipeline();
    for (const g of generators) {
      pipeline.hgetall(gk(g, 'waiting'));
      pipeline.zcard(gk(g, 'delayed'));
      pipeline.zcard(gk(g, 'handoff'));
    }
    pipeline.hgetall(`${base}:running-tiers`);
    pipeline.zrevrange(`${base}:waiting`, 0, top - 1, 'WITHSCORES');
    pipeline.zrevrange(`${base}:running`, 0, top - 1, 'WITHSCORES');
    pipeline.zcard(`${base}:waiting`);
    pipeline.zcard(`${base}:running`);
    const results = (await pipeline.exec()) ?? [];
    const values = results.map(([error, value]) => {
      if (error) throw error;
      return value;
    });
    let i = 0;
    const out: FairStats = {
      generators: {},
      byTier: {
        premium: { waiting: 0, running: 0 },
        standard: { waiting: 0, running: 0 },
        free: { waiting: 0, running: 0 },
      },
      topClients: [],
      clientsWaiting: 0,
      clientsRunning: 0,
    };
    for (const g of generators) {
      const waiting = values[i++] as Record<string, string>;
      const byLane: Record<number, number> = {};
      for (const [lane, n] of Object.entries(waiting)) {
        byLane[Number(lane)] = Number(n);
        const tier = LANE_TIER[Number(lane)];
        if (tier) out.byTier[tier].waiting += Number(n);
      }
      out.generators[g] = {
        byLane,
        deferred: Number(values[i++]),
        handoff: Number(values[i++]),
      };
    }
    for (const [lane, n] of Object.entries(values[i++] as Record<string, string>)) {
      const tier = LANE_TIER[Number(lane)];
      if (tier) out.byTier[tier].running += Math.max(0, Number(n));
    }
    const topWaiting = values[i++] as string[];
    const topRunning = values[i++] as string[];
    out.clientsWaiting = Number(values[i++]);
    out.clientsRunning = Number(values[i]);
    const clients = new Map<string, ClientLoad>();
    const entry = (id: string): ClientLoad => {
      let load = clients.get(id);
      if (!load) {
        load = { client_id: id, waiting: 0, running: 0 };
        clients.set(id, load);
      }
      return load;
    };
    for (let k = 0; k < topWaiting.length; k += 2) entry(topWaiting[k]!);
    for (let k = 0; k < topRunning.length; k += 2) entry(topRunning[k]!);
    if (clients.size > 0) {
      const ids = [...clients.keys()];
      const reads = redis.pipeline();
      for (const id of ids) {
        reads.zscore(`${base}:waiting`, id);
        reads.zscore(`${base}:running`, id);
      }
      const scores = (await reads.exec()) ?? [];
      ids.forEach((id, k) => {
        const load = entry(id);
        load.waiting = Math.max(0, Number(scores[k * 2]?.[1] ?? 0));
        load.running = Math.max(0, Number(scores[k * 2 + 1]?.[1] ?? 0));
      });
    }
    out.topClients = [...clients.values()].sort(
      (a, b) => b.waiting + b.running - (a.waiting + a.running),
    );
    return out;
  }

  /** The JobQueue the API services, the reconciler and aging use in fair mode. */
  const jobQueue: JobQueue = {
    enqueue,
    // A job already handed to BullMQ is left there: the worker finds its row cancelled or
    // gone, drops it and releases its slot.
    remove,
    queueFor: (generator) => options.bull.queueFor(generator),
    queues: () => options.bull.queues(),
    close: () => options.bull.close(),
    async changePriority(request) {
      if (await changeLane(request.generator, request.id, request.priority)) return true;
      // A job left in BullMQ's prioritized set by strict mode ages there.
      return options.bull.changePriority(request).catch(() => false);
    },
    holds,
    pendingOutside: pending,
  };

  return {
    settings,
    enqueue,
    dispatch,
    defer,
    remove,
    changeLane,
    positionOf,
    holds,
    repair,
    pending,
    stats,
    capacity,
    jobQueue,
    /** Called after jobs of `generator` were enqueued (dispatchers kick themselves). */
    onEnqueued(listener: (generator: string) => void): void {
      enqueuedListeners.push(listener);
    },
  };
}

export type FairScheduler = ReturnType<typeof createFairScheduler>;
