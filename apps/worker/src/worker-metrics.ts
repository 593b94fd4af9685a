import type { Redis } from 'ioredis';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '@genq/core';
import type { JobRecord } from '@genq/db';
import { createGpuProbe, type GpuInfo } from './gpu.ts';
import type { AttemptMetrics as JobMetrics } from '@genq/jobs';

/**
 * Where worker processes leave their metrics for the API's `/metrics`: a hash of worker id →
 * entry JSON. The API reads it in apps/api/src/metrics/fleet-metrics.ts (same key, same entry).
 */
export const workerMetricsKey = (prefix: string): string => `${prefix}:metrics:workers`;

/** What a worker process writes every push interval. */
export interface WorkerMetricsEntry {
  id: string;
  /** When it was written (epoch ms); the API drops entries older than 3 intervals. */
  at: number;
  interval_ms: number;
  generators: string[];
  gpus: GpuInfo[];
  /** `registry.getMetricsAsJSON()`, every series labelled with `worker`. */
  metrics: unknown[];
}

/** Generation jobs run from milliseconds (noop) to an hour (media). */
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
/** Time from submission to the first attempt's start. */
const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600, 1800, 3600];

export interface WorkerMetricsOptions {
  workerId: string;
  generators: string[];
  /** Jobs at once per generator queue. */
  concurrency: number;
  /** Jobs this process runs right now. */
  running: () => number;
  /** Detects GPUs; nvidia-smi (cached a minute) by default. */
  gpus?: () => Promise<GpuInfo[]>;
}

/**
 * A worker process's metrics: its own prom-client registry (job durations and wait times per
 * generator, retries, running jobs, GPUs, Node.js process metrics), every series labelled with
 * `worker` = the process's id. Workers serve no HTTP: `startPushing` writes the registry as
 * JSON into Redis, and every API process merges the live workers' entries into its /metrics.
 */
export function createWorkerMetrics(options: WorkerMetricsOptions) {
  const registry = new Registry();
  registry.setDefaultLabels({ worker: options.workerId });
  collectDefaultMetrics({ register: registry });
  const gpus = options.gpus ?? createGpuProbe();

  const duration = new Histogram({
    name: 'genq_job_duration_seconds',
    help: 'Run time of job attempts, by generator and how the attempt ended (completed, failed, cancelled, retrying)',
    labelNames: ['generator', 'outcome'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const wait = new Histogram({
    name: 'genq_job_wait_seconds',
    help: 'Time from submission to the start of the first attempt, by generator',
    labelNames: ['generator'],
    buckets: WAIT_BUCKETS,
    registers: [registry],
  });
  const retries = new Counter({
    name: 'genq_job_retries_total',
    help: 'Failed attempts for which a retry was scheduled, by generator',
    labelNames: ['generator'],
    registers: [registry],
  });
  new Gauge({
    name: 'genq_worker_running_jobs',
    help: 'Jobs this worker process is running',
    registers: [registry],
    collect() {
      this.set(options.running());
    },
  });
  new Gauge({
    name: 'genq_worker_job_slots',
    help: 'Jobs this worker process may run at once (concurrency × generator queues served)',
    registers: [registry],
  }).set(options.concurrency * options.generators.length);
  const gpuCount = new Gauge({
    name: 'genq_worker_gpus',
    help: 'GPUs nvidia-smi reports on this worker host',
    registers: [registry],
  });

  const seconds = (from: Date, to: number): number => Math.max(0, (to - from.getTime()) / 1000);

  const jobs: JobMetrics = {
    attemptStarted(row: JobRecord) {
      if (row.attempts === 1 && row.startedAt) {
        wait.observe({ generator: row.generator }, seconds(row.createdAt, row.startedAt.getTime()));
      }
    },
    attemptFinished(row: JobRecord) {
      if (!row.startedAt) return;
      duration.observe(
        { generator: row.generator, outcome: row.status },
        seconds(row.startedAt, Date.now()),
      );
      if (row.status === 'retrying') retries.inc({ generator: row.generator });
    },
  };

  async function entry(intervalMs: number): Promise<WorkerMetricsEntry> {
    const found = await gpus();
    gpuCount.set(found.length);
    return {
      id: options.workerId,
      at: Date.now(),
      interval_ms: intervalMs,
      generators: options.generators,
      gpus: found,
      metrics: await registry.getMetricsAsJSON(),
    };
  }

  return {
    registry,
    /** For the job runner: observes attempts. */
    jobs,
    /**
     * Writes this process's entry now and every `intervalMs`; `stop` removes it, so a worker
     * that stops cleanly disappears from /metrics at once (a crashed one after 3 intervals).
     */
    startPushing(deps: { redis: Redis; prefix: string; intervalMs: number; logger: Logger }) {
      const key = workerMetricsKey(deps.prefix);
      let pushing: Promise<void> | null = null;
      const write = async (): Promise<void> => {
        try {
          const e = await entry(deps.intervalMs);
          await deps.redis.hset(key, options.workerId, JSON.stringify(e));
        } catch (error) {
          deps.logger.warn('could not push worker metrics', { error: String(error) });
        } finally {
          pushing = null;
        }
      };
      // The worker's Redis connection waits out outages: never stack pushes behind one.
      const push = (): Promise<void> => (pushing ??= write());
      const timer = deps.intervalMs > 0 ? setInterval(() => void push(), deps.intervalMs) : null;
      if (timer) void push();
      return {
        push,
        async stop(): Promise<void> {
          if (timer) clearInterval(timer);
          await pushing;
          await deps.redis.hdel(key, options.workerId).catch(() => undefined);
        },
      };
    },
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
