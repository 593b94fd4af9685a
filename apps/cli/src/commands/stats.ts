import type { Context } from '../context.ts';
import { EXIT, type ExitCode } from '../errors.ts';
import { num, table } from '../output.ts';

interface QueueStats {
  pending: number;
  delayed: number;
  processing: number;
  completed: number;
  failed: number;
  cancelled: number;
  pending_by_priority: Record<string, number>;
  oldest_pending_job_age_seconds: number | null;
  average_processing_time_seconds: number | null;
  completed_last_minute: number;
  live_workers: number;
  workers?: {
    id: string;
    host: string;
    generators: string[];
    concurrency: number;
    running: number;
  }[];
  queues?: Record<
    string,
    {
      pending: number;
      processing: number;
      completed: number;
      failed: number;
      live_capacity: number;
    }
  >;
}

/** `genq stats`: how busy genq is (GET /api/v1/queue/stats). */
export async function statsCommand(ctx: Context): Promise<ExitCode> {
  const { body: stats } = await ctx.client.json<QueueStats>('GET', '/api/v1/queue/stats');
  ctx.output.result(stats, () => {
    const p = stats.pending_by_priority ?? {};
    const lines = [
      `pending     ${num(stats.pending, 0)} (HIGH ${num(p.HIGH, 0)}, NORMAL ${num(p.NORMAL, 0)}, LOW ${num(p.LOW, 0)}; delayed ${num(stats.delayed, 0)})`,
      `processing  ${num(stats.processing, 0)}`,
      `finished    ${num(stats.completed, 0)} completed, ${num(stats.failed, 0)} failed, ${num(stats.cancelled, 0)} cancelled`,
      `throughput  ${num(stats.completed_last_minute, 0)} completed in the last minute, ` +
        `${num(stats.average_processing_time_seconds, 2)} s per job on average`,
      `oldest wait ${stats.oldest_pending_job_age_seconds === null ? '–' : `${num(stats.oldest_pending_job_age_seconds, 1)} s`}`,
      `workers     ${num(stats.live_workers, 0)} live`,
    ];
    const queues = Object.entries(stats.queues ?? {});
    if (queues.length > 0) {
      lines.push('');
      lines.push(
        ...table([
          ['generator', 'pending', 'processing', 'completed', 'failed', 'slots'],
          ...queues.map(([name, q]) => [
            name,
            num(q.pending, 0),
            num(q.processing, 0),
            num(q.completed, 0),
            num(q.failed, 0),
            num(q.live_capacity, 0),
          ]),
        ]),
      );
    }
    return lines;
  });
  return EXIT.OK;
}
