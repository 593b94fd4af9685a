import type { Redis } from 'ioredis';
import {
  AggregatorRegistry,
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
} from 'prom-client';
import { PRIORITY_NAMES, type Logger } from '@genq/core';
import type { QueueStats, QueueStatsService } from '../queue/queue-stats.ts';
import { shared, withTimeout } from '../health/timing.ts';
import { readFleet } from './fleet-metrics.ts';

export interface ApiMetricsDeps {
  queueStats: QueueStatsService;
  /** Holds the workers' pushed metrics (fleet-metrics.ts). */
  redis: Redis;
  prefix: string;
  logger: Logger;
  /** Open WebSockets of this process. */
  connectionCount: () => number;
}

/** One scrape reads queue stats once, whatever the number of gauges fed from them. */
const STATS_TTL_MS = 1_000;
const STATS_TIMEOUT_MS = 2_000;
const FLEET_TIMEOUT_MS = 1_000;

/**
 * The API process's metrics and `/metrics` itself.
 *
 * - Measured here: HTTP requests in flight and their latency per route pattern, WebSocket
 *   connections, Node.js process metrics.
 * - Read on scrape (`collect`) from the cheap queue stats: queue depth per generator and
 *   state, waiting jobs per priority, the oldest waiting job's age, live workers and job
 *   slots, and the finished-job counters (kept in Redis by whoever ends a job, so they count
 *   every process's jobs, including jobs the API cancelled while they waited).
 * - Pushed by the workers (fleet-metrics.ts): job durations, wait times, retries, running
 *   jobs, GPUs and each worker's process metrics, labelled `worker`.
 */
export function createApiMetrics(deps: ApiMetricsDeps) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let inFlight = 0;
  const stats = shared(
    () => withTimeout(deps.queueStats.stats(), STATS_TIMEOUT_MS, 'queue stats'),
    STATS_TTL_MS,
  );
  let statsFailure = '';

  /** Fills a metric from the stats, or leaves it empty when they cannot be read. */
  const fromStats = <M extends { reset(): void }>(fill: (metric: M, s: QueueStats) => void) =>
    async function (this: M): Promise<void> {
      this.reset();
      try {
        fill(this, await stats());
        statsFailure = '';
      } catch (error) {
        const message = String(error);
        if (message !== statsFailure)
          deps.logger.warn('metrics: queue stats unavailable', { error: message });
        statsFailure = message;
      }
    };

  new Gauge({
    name: 'genq_http_requests_in_flight',
    help: 'HTTP requests this API process is answering',
    registers: [registry],
    collect() {
      this.set(inFlight);
    },
  });
  const httpDuration = new Histogram({
    name: 'genq_http_request_duration_seconds',
    help: 'HTTP request latency by method, Express route pattern (never the raw URL) and status',
    labelNames: ['method', 'route', 'status_code'],
    registers: [registry],
  });
  new Gauge({
    name: 'genq_websocket_connections',
    help: 'Open WebSocket connections on this API process',
    registers: [registry],
    collect() {
      this.set(deps.connectionCount());
    },
  });
  new Gauge({
    name: 'genq_queue_stats_up',
    help: '1 when the queue stats behind the genq_queue_* and genq_jobs_total series could be read',
    registers: [registry],
    async collect() {
      this.set(
        await stats().then(
          () => 1,
          () => 0,
        ),
      );
    },
  });
  new Gauge({
    name: 'genq_queue_jobs',
    help: 'Jobs in each generator queue by state: waiting (ready to start), delayed (retry backoff, hand-back, busy target), active (running)',
    labelNames: ['generator', 'state'],
    registers: [registry],
    collect: fromStats<Gauge<'generator' | 'state'>>((gauge, s) => {
      for (const [generator, q] of Object.entries(s.queues)) {
        gauge.set({ generator, state: 'waiting' }, q.pending - q.delayed);
        gauge.set({ generator, state: 'delayed' }, q.delayed);
        gauge.set({ generator, state: 'active' }, q.processing);
      }
    }),
  });
  new Gauge({
    name: 'genq_queue_waiting_jobs',
    help: 'Jobs ready to start in each generator queue, by priority',
    labelNames: ['generator', 'priority'],
    registers: [registry],
    collect: fromStats<Gauge<'generator' | 'priority'>>((gauge, s) => {
      for (const [generator, q] of Object.entries(s.queues)) {
        for (const priority of PRIORITY_NAMES) {
          gauge.set({ generator, priority }, q.pending_by_priority[priority]);
        }
      }
    }),
  });
  new Gauge({
    name: 'genq_queue_oldest_waiting_seconds',
    help: 'Age of the oldest job waiting to start (queued or waiting to retry); 0 when none waits',
    registers: [registry],
    collect: fromStats<Gauge>((gauge, s) => gauge.set(s.oldest_pending_job_age_seconds ?? 0)),
  });
  // Fair scheduling (docs/scheduling.md): load per tier lane and of the busiest clients.
  new Gauge({
    name: 'genq_scheduler_tier_jobs',
    help: 'Fair scheduling: jobs waiting in the scheduler and running, per tier lane (premium = HIGH, standard = NORMAL, free = LOW)',
    labelNames: ['tier', 'state'],
    registers: [registry],
    collect: fromStats<Gauge<'tier' | 'state'>>((gauge, s) => {
      gauge.reset();
      for (const [tier, load] of Object.entries(s.scheduling.tiers ?? {})) {
        gauge.set({ tier, state: 'waiting' }, load.waiting);
        gauge.set({ tier, state: 'running' }, load.running);
      }
    }),
  });
  new Gauge({
    name: 'genq_scheduler_client_jobs',
    help: 'Fair scheduling: waiting and running jobs of the clients with the most (top 10 of each)',
    labelNames: ['client_id', 'state'],
    registers: [registry],
    collect: fromStats<Gauge<'client_id' | 'state'>>((gauge, s) => {
      gauge.reset();
      for (const load of s.scheduling.clients ?? []) {
        gauge.set({ client_id: load.client_id, state: 'waiting' }, load.waiting);
        gauge.set({ client_id: load.client_id, state: 'running' }, load.running);
      }
    }),
  });
  new Gauge({
    name: 'genq_workers_live',
    help: 'Worker processes with a recent heartbeat',
    registers: [registry],
    collect: fromStats<Gauge>((gauge, s) => gauge.set(s.live_workers)),
  });
  new Gauge({
    name: 'genq_worker_capacity',
    help: 'Job slots of live workers serving each generator',
    labelNames: ['generator'],
    registers: [registry],
    collect: fromStats<Gauge<'generator'>>((gauge, s) => {
      for (const [generator, q] of Object.entries(s.queues)) {
        gauge.set({ generator }, q.live_capacity);
      }
    }),
  });
  new Counter({
    name: 'genq_jobs_total',
    help: 'Jobs that ended, by generator and outcome (completed, failed, cancelled), all processes together (Redis counters; a Redis flush resets them)',
    labelNames: ['generator', 'outcome'],
    registers: [registry],
    collect: fromStats<Counter<'generator' | 'outcome'>>((counter, s) => {
      for (const [generator, q] of Object.entries(s.queues)) {
        counter.inc({ generator, outcome: 'completed' }, q.completed);
        counter.inc({ generator, outcome: 'failed' }, q.failed);
        counter.inc({ generator, outcome: 'cancelled' }, q.cancelled);
      }
    }),
  });

  return {
    registry,
    /** Call when a request arrives; the returned function when it has ended. */
    requestStarted(): () => void {
      inFlight += 1;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        inFlight -= 1;
      };
    },
    requestsInFlight: (): number => inFlight,
    observeRequest(method: string, route: string, status: number, seconds: number): void {
      httpDuration.observe({ method, route, status_code: String(status) }, seconds);
    },
    /**
     * The exposition text: this process's registry merged with the entries of live workers
     * (each series of theirs carries its `worker` label, so nothing is summed away). Without
     * Redis, only this process's own series are served.
     */
    async render(): Promise<{ contentType: string; body: string }> {
      const own = await registry.getMetricsAsJSON();
      let fleet: Awaited<ReturnType<typeof readFleet>> = [];
      try {
        fleet = await withTimeout(readFleet(deps.redis, deps.prefix), FLEET_TIMEOUT_MS, 'fleet');
      } catch (error) {
        deps.logger.warn('metrics: worker metrics unavailable', { error: String(error) });
      }
      // Label sets never collide across sources (workers add `worker`), so 'first' merely
      // copies each series; it also keeps metrics prom-client would omit when aggregating.
      const sources = [own, ...fleet.map((entry) => entry.metrics)].map((metrics) =>
        metrics.map((metric) => ({ ...metric, aggregator: 'first' })),
      );
      const merged = AggregatorRegistry.aggregate(sources);
      return { contentType: merged.contentType, body: await merged.metrics() };
    },
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;
