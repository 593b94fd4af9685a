import type { QueueStatsService } from '../queue/queue-stats.ts';
import { withTimeout } from './timing.ts';

export interface StatusDeps {
  queueStats: QueueStatsService;
  /** HTTP requests this process is answering (the request asking included). */
  requestsInFlight: () => number;
  /** Open WebSockets of this process. */
  connectionCount: () => number;
  version: string;
}

const STATS_TIMEOUT_MS = 1_000;
const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10;

/**
 * `GET /status`: what this API process and the workers are doing right now. The process part
 * is read from memory; workers and queue counters come from one queue stats read (fixed
 * cost, see queue-stats.ts) and are null, with `error`, when it fails.
 */
export function createStatusService(deps: StatusDeps) {
  return async function status() {
    const memory = process.memoryUsage();
    const base = {
      version: deps.version,
      timestamp: new Date().toISOString(),
      process: {
        pid: process.pid,
        uptime_seconds: Math.round(process.uptime() * 10) / 10,
        memory_mb: {
          rss: mb(memory.rss),
          heap_used: mb(memory.heapUsed),
          heap_total: mb(memory.heapTotal),
          external: mb(memory.external),
        },
      },
      http: { requests_in_flight: deps.requestsInFlight() },
      websocket: { connections: deps.connectionCount() },
    };
    try {
      const s = await withTimeout(deps.queueStats.stats(), STATS_TIMEOUT_MS, 'queue stats');
      return {
        ...base,
        workers: {
          live: s.live_workers,
          job_slots: s.workers.reduce((sum, w) => sum + w.concurrency * w.generators.length, 0),
          running_jobs: s.workers.reduce((sum, w) => sum + w.running, 0),
          processes: s.workers,
        },
        queue: {
          pending: s.pending,
          delayed: s.delayed,
          processing: s.processing,
          completed: s.completed,
          failed: s.failed,
          cancelled: s.cancelled,
          pending_by_priority: s.pending_by_priority,
          oldest_pending_job_age_seconds: s.oldest_pending_job_age_seconds,
          average_processing_time_seconds: s.average_processing_time_seconds,
          completed_last_minute: s.completed_last_minute,
        },
      };
    } catch (error) {
      return {
        ...base,
        workers: null,
        queue: null,
        error: `queue stats unavailable: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  };
}

export type StatusService = ReturnType<typeof createStatusService>;
