import { startBenchStack, submitBatches } from '../lib/genq.ts';
import type { BenchContext, Row, Scenario } from '../lib/scenario.ts';
import { distribution, ms, ratio, type Distribution } from '../lib/stats.ts';

const CONCURRENCY = 4;
const WARM_UP = 20;

/** The two generators measured: genq's own cost, and a small real job. */
const JOBS = {
  noop: { generator: 'noop', input: {} },
  'test-data (100 rows)': {
    generator: 'test-data',
    input: {
      rows: 100,
      format: 'csv',
      fields: [
        { name: 'id', type: 'uuid' },
        { name: 'name', type: 'name' },
        { name: 'code', type: 'pattern', pattern: '[A-Z]{3}-[0-9]{4}' },
      ],
    },
  },
} as const;

/**
 * What isolation costs per job: the same jobs run in execution threads (GENQ_EXECUTION=thread)
 * and on the worker's own event loop (GENQ_EXECUTION=main), one worker process each. Measured
 * per job from its row, started_at → completed_at: the attempt's run, its thread dispatch
 * and its result, without the queue's own time.
 */
export const isolation: Scenario = {
  id: 'isolation',
  title: 'Cost of isolation per job',
  async run(ctx) {
    const count = ctx.quick ? 40 : 400;
    const rows: Row[] = [];
    const notes: string[] = [];
    for (const [label, job] of Object.entries(JOBS)) {
      const thread = await runJobs(ctx, 'thread', job, count);
      const main = await runJobs(ctx, 'main', job, count);
      rows.push({
        measure: `Attempt time per job, ${label}, in a thread (p50)`,
        genq: ms(thread.p50),
        raw: `${ms(main.p50)} (same job on the worker's event loop)`,
        ratio: ratio(thread.p50 / main.p50),
        target: '',
        met: null,
      });
      notes.push(
        `Isolation, ${label}: ${count} jobs per mode after ${WARM_UP} unmeasured, 1 worker process × ${CONCURRENCY}; started_at → completed_at per row. Thread p99 ${ms(thread.p99)}, main loop p99 ${ms(main.p99)}.`,
      );
    }
    return { rows, notes };
  },
};

async function runJobs(
  ctx: BenchContext,
  mode: 'thread' | 'main',
  job: { generator: string; input: object },
  count: number,
): Promise<Distribution> {
  ctx.log(`isolation: ${job.generator} (${mode}), ${count} jobs`);
  const bench = await startBenchStack({
    workers: 1,
    concurrency: CONCURRENCY,
    generators: job.generator,
    env: { GENQ_EXECUTION: mode },
  });
  try {
    const client = await bench.client('premium');
    const make = () => job;
    const warm = await submitBatches(bench.url, client.headers, WARM_UP, make);
    await attemptTimes(bench.sql, warm.batchIds, WARM_UP);
    const { batchIds } = await submitBatches(bench.url, client.headers, count, make);
    return distribution(await attemptTimes(bench.sql, batchIds, count));
  } finally {
    await bench.close();
  }
}

/** Waits for the batches' jobs to complete, then reads each one's started → completed time. */
async function attemptTimes(
  sql: Awaited<ReturnType<typeof startBenchStack>>['sql'],
  batchIds: string[],
  total: number,
): Promise<number[]> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { rows } = await sql.query<{ ms: number; status: string }>(
      `SELECT status, extract(epoch FROM completed_at - started_at) * 1000 AS ms
         FROM jobs WHERE batch_id = ANY($1::uuid[])`,
      [batchIds],
    );
    const ended = rows.filter((r) => ['completed', 'failed', 'cancelled'].includes(r.status));
    if (ended.length >= total) {
      const failed = ended.filter((r) => r.status !== 'completed');
      if (failed.length > 0) throw new Error(`${failed.length} jobs did not complete`);
      return ended.map((r) => Number(r.ms));
    }
    if (Date.now() > deadline) throw new Error(`only ${ended.length} of ${total} jobs ended`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
