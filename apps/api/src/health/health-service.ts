import type { Redis } from 'ioredis';
import type { Database } from '@genq/db';
import type { GeneratorRegistry } from '@genq/generators';
import type { RedisKeys } from '@genq/queue';
import type { QueueStatsService } from '../queue/queue-stats.ts';
import {
  checkDatabase,
  checkDiskSpace,
  checkGpu,
  checkQueue,
  checkRedis,
  checkWorkers,
  worstStatus,
  type CheckResult,
  type CheckStatus,
  type DiskThresholds,
} from './checks.ts';
import { shared } from './timing.ts';

export interface HealthDeps {
  db: Database;
  /** The fail-fast connection: a PING answers at once when Redis is down. */
  redis: Redis;
  keys: RedisKeys;
  prefix: string;
  registry: GeneratorRegistry;
  queueStats: QueueStatsService;
  artifactsDir: string;
  /** GENQ_QUEUE_MAX_PENDING (0 = none). */
  queueMaxPending: number;
  disk?: Partial<DiskThresholds>;
  version: string;
}

export interface HealthReport {
  status: CheckStatus;
  checks: Record<string, CheckResult>;
  version: string;
  uptime_seconds: number;
  timestamp: string;
}

/** Probes come from load balancers every few seconds, maybe from many: one run per second. */
const REPORT_TTL_MS = 1_000;
const READY_TTL_MS = 500;

function report(checks: CheckResult[], version: string): HealthReport {
  return {
    status: worstStatus(checks.map((c) => c.status)),
    checks: Object.fromEntries(checks.map((c) => [c.name, c])),
    version,
    uptime_seconds: Math.round(process.uptime() * 10) / 10,
    timestamp: new Date().toISOString(),
  };
}

/**
 * Readiness and the detailed health report. Checks run in parallel, each within 1 s, and a
 * result is shared by the callers of the same second, so probes cannot load PostgreSQL.
 */
export function createHealthService(deps: HealthDeps) {
  const disk: DiskThresholds = {
    degradedPercent: deps.disk?.degradedPercent ?? 10,
    unhealthyPercent: deps.disk?.unhealthyPercent ?? 2,
  };
  const ready = shared(async () => {
    const checks = await Promise.all([checkDatabase(deps.db), checkRedis(deps.redis, false)]);
    return report(checks, deps.version);
  }, READY_TTL_MS);
  const full = shared(async () => {
    const checks = await Promise.all([
      checkDatabase(deps.db),
      checkRedis(deps.redis),
      checkQueue(deps.queueStats, deps.queueMaxPending),
      checkDiskSpace(deps.artifactsDir, disk),
      checkWorkers(deps.redis, deps.keys, deps.registry),
      checkGpu(deps.redis, deps.prefix, deps.registry),
    ]);
    return report(checks, deps.version);
  }, REPORT_TTL_MS);
  return {
    /** PostgreSQL and Redis answer: this process can serve requests. */
    ready,
    /** Every check, with details. */
    report: full,
  };
}

export type HealthService = ReturnType<typeof createHealthService>;
