import { statfs } from 'node:fs/promises';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { redactSecretText } from '@genq/core';
import { pingDatabase, type Database } from '@genq/db';
import type { GeneratorRegistry } from '@genq/generators';
import { liveWorkers, type RedisKeys } from '@genq/queue';
import { readFleet } from '../metrics/fleet-metrics.ts';
import type { QueueStatsService } from '../queue/queue-stats.ts';
import { withTimeout } from './timing.ts';

export type CheckStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  message: string;
  details: Record<string, unknown>;
}

export const STATUS_ORDER: CheckStatus[] = ['healthy', 'degraded', 'unhealthy'];

export function worstStatus(statuses: CheckStatus[]): CheckStatus {
  return statuses.reduce<CheckStatus>(
    (worst, s) => (STATUS_ORDER.indexOf(s) > STATUS_ORDER.indexOf(worst) ? s : worst),
    'healthy',
  );
}

/** Each check answers within this long, or counts as failed. */
export const CHECK_TIMEOUT_MS = 1_000;

const result = (
  name: string,
  status: CheckStatus,
  message: string,
  details: Record<string, unknown> = {},
): CheckResult => ({ name, status, message, details });

/** An error's message, minus anything credential-like: these answers need no key. */
const errorText = (error: unknown): string =>
  redactSecretText(error instanceof Error ? error.message : String(error)).replace(
    /\/\/[^/@\s]+@/g,
    '//[redacted]@',
  );

const round = (value: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

/** `SELECT 1` through the process's pool. */
export async function checkDatabase(db: Database): Promise<CheckResult> {
  const started = performance.now();
  try {
    await withTimeout(pingDatabase(db), CHECK_TIMEOUT_MS, 'SELECT 1');
    const latency = round(performance.now() - started);
    return result('database', 'healthy', 'connected', { latency_ms: latency });
  } catch (error) {
    return result('database', 'unhealthy', `PostgreSQL unreachable: ${errorText(error)}`);
  }
}

/** CONFIG GET answers `[name, value]` (RESP2) or `{ name: value }` (RESP3). */
function configValue(reply: unknown, name: string): string | null {
  if (Array.isArray(reply)) return typeof reply[1] === 'string' ? reply[1] : null;
  if (reply && typeof reply === 'object') {
    const value = (reply as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : null;
  }
  return null;
}

/**
 * PING on the fail-fast connection (it answers at once when Redis is down), and with
 * `includePolicy` the eviction policy: genq's queue, counters and job states are data, not
 * cache, so anything but `noeviction` may silently lose jobs under memory pressure. Managed
 * Redis services often disable CONFIG; the policy is then "unknown" (degraded).
 */
export async function checkRedis(redis: Redis, includePolicy = true): Promise<CheckResult> {
  const started = performance.now();
  try {
    await withTimeout(redis.ping(), CHECK_TIMEOUT_MS, 'PING');
  } catch (error) {
    return result('redis', 'unhealthy', `Redis unreachable: ${errorText(error)}`);
  }
  const latency = round(performance.now() - started);
  if (!includePolicy) return result('redis', 'healthy', 'connected', { latency_ms: latency });
  let policy: string | null = null;
  let policyError = '';
  try {
    const reply: unknown = await withTimeout(
      redis.config('GET', 'maxmemory-policy'),
      CHECK_TIMEOUT_MS,
      'CONFIG GET',
    );
    policy = configValue(reply, 'maxmemory-policy');
  } catch (error) {
    policyError = errorText(error);
  }
  const details = { latency_ms: latency, maxmemory_policy: policy ?? 'unknown' };
  if (policy === 'noeviction') return result('redis', 'healthy', 'connected', details);
  if (policy === null) {
    return result(
      'redis',
      'degraded',
      `connected; maxmemory-policy unknown (CONFIG GET not allowed${policyError ? `: ${policyError}` : ''}): make sure it is noeviction`,
      details,
    );
  }
  return result(
    'redis',
    'degraded',
    `maxmemory-policy is ${policy}: Redis may evict queued jobs under memory pressure; set it to noeviction`,
    details,
  );
}

/** Depth and oldest wait from the queue stats; degraded when submissions are near the limit. */
export async function checkQueue(
  queueStats: QueueStatsService,
  maxPending: number,
): Promise<CheckResult> {
  try {
    const s = await withTimeout(queueStats.stats(), CHECK_TIMEOUT_MS, 'queue stats');
    const details = {
      pending: s.pending,
      delayed: s.delayed,
      processing: s.processing,
      pending_by_priority: s.pending_by_priority,
      oldest_pending_job_age_seconds: s.oldest_pending_job_age_seconds,
      completed: s.completed,
      failed: s.failed,
      cancelled: s.cancelled,
      max_pending: maxPending > 0 ? maxPending : null,
    };
    const oldest =
      s.oldest_pending_job_age_seconds === null
        ? ''
        : `, oldest waiting ${s.oldest_pending_job_age_seconds} s`;
    const message = `${s.pending} pending jobs, ${s.processing} processing${oldest}`;
    if (maxPending > 0 && s.pending >= 0.9 * maxPending) {
      return result(
        'queue',
        'degraded',
        `${message}: ${Math.round((100 * s.pending) / maxPending)}% of GENQ_QUEUE_MAX_PENDING, submissions will soon get 503 queue_full`,
        details,
      );
    }
    return result('queue', 'healthy', message, details);
  } catch (error) {
    return result('queue', 'unhealthy', `queue stats unavailable: ${errorText(error)}`);
  }
}

export interface DiskThresholds {
  /** Below this percentage free: degraded (default 10). */
  degradedPercent: number;
  /** Below this percentage free: unhealthy (default 2). */
  unhealthyPercent: number;
}

/** statfs of the nearest existing folder (the artifacts folder is created by the workers). */
async function statfsNearest(dir: string) {
  let current = path.resolve(dir);
  for (;;) {
    try {
      return await statfs(current);
    } catch (error) {
      const parent = path.dirname(current);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === current) throw error;
      current = parent;
    }
  }
}

/** Free space where results are written (GENQ_ARTIFACTS_DIR). */
export async function checkDiskSpace(
  artifactsDir: string,
  thresholds: DiskThresholds,
): Promise<CheckResult> {
  try {
    const fs = await withTimeout(statfsNearest(artifactsDir), CHECK_TIMEOUT_MS, 'statfs');
    const total = fs.blocks * fs.bsize;
    const free = fs.bavail * fs.bsize;
    const percentFree = total > 0 ? (100 * free) / total : 0;
    const details = {
      free_gb: round(free / 1e9),
      total_gb: round(total / 1e9),
      percent_free: round(percentFree),
    };
    const message = `${details.free_gb}GB free (${details.percent_free}%)`;
    if (percentFree < thresholds.unhealthyPercent) {
      return result('disk_space', 'unhealthy', `${message}: results cannot be written`, details);
    }
    if (percentFree < thresholds.degradedPercent) {
      return result('disk_space', 'degraded', `${message}: running low`, details);
    }
    return result('disk_space', 'healthy', message, details);
  } catch (error) {
    return result('disk_space', 'degraded', `free space unknown: ${errorText(error)}`);
  }
}

/** Live workers (heartbeats) and, per generator, the job slots serving it. */
export async function checkWorkers(
  redis: Redis,
  keys: RedisKeys,
  registry: GeneratorRegistry,
): Promise<CheckResult> {
  try {
    const workers = await withTimeout(liveWorkers(redis, keys), CHECK_TIMEOUT_MS, 'heartbeats');
    const capacity: Record<string, number> = {};
    for (const generator of registry.names()) {
      capacity[generator] = workers
        .filter((w) => w.generators.includes(generator))
        .reduce((sum, w) => sum + w.concurrency, 0);
    }
    const unserved = Object.keys(capacity).filter((g) => capacity[g] === 0);
    const details = {
      live_workers: workers.length,
      running_jobs: workers.reduce((sum, w) => sum + w.running, 0),
      capacity_by_generator: capacity,
      generators_without_workers: unserved,
    };
    if (workers.length === 0) {
      return result('workers', 'degraded', 'no live worker: jobs wait until one starts', details);
    }
    if (unserved.length > 0) {
      return result(
        'workers',
        'degraded',
        `no live worker serves ${unserved.join(', ')}: their jobs wait`,
        details,
      );
    }
    const plural = workers.length === 1 ? '' : 's';
    return result('workers', 'healthy', `${workers.length} live worker${plural}`, details);
  } catch (error) {
    return result('workers', 'degraded', `heartbeats unavailable: ${errorText(error)}`);
  }
}

/**
 * GPUs for the generators that want one (`requiresGpu`). GPUs belong to worker hosts, not to
 * the API's: each worker probes its host with nvidia-smi (1 s timeout, cached a minute) and
 * reports what it found with its metrics; this check reads those reports. Degraded when a
 * GPU generator has no live worker with a GPU.
 */
export async function checkGpu(
  redis: Redis,
  prefix: string,
  registry: GeneratorRegistry,
): Promise<CheckResult> {
  const wanting = registry
    .list()
    .filter((g) => g.requiresGpu)
    .map((g) => g.name);
  if (wanting.length === 0) {
    return result('gpu', 'healthy', 'not required', { required_by: [] });
  }
  try {
    const fleet = await withTimeout(readFleet(redis, prefix), CHECK_TIMEOUT_MS, 'worker reports');
    const withGpu = fleet.filter((w) => w.gpus.length > 0);
    const missing = wanting.filter((g) => !withGpu.some((w) => w.generators.includes(g)));
    const gpus = withGpu.flatMap((w) => w.gpus.map((gpu) => ({ worker: w.id, ...gpu })));
    const details = { required_by: wanting, gpus, generators_without_gpu: missing };
    if (missing.length > 0) {
      return result(
        'gpu',
        'degraded',
        `no live worker with a GPU serves ${missing.join(', ')}`,
        details,
      );
    }
    const names = [...new Set(gpus.map((g) => g.name))].join(', ');
    return result('gpu', 'healthy', `${names} available`, {
      ...details,
      device_count: gpus.length,
    });
  } catch (error) {
    return result('gpu', 'degraded', `worker GPU reports unavailable: ${errorText(error)}`, {
      required_by: wanting,
    });
  }
}
