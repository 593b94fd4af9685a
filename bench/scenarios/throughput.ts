import type pg from 'pg';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startChild, type Child } from '../lib/ipc.ts';
import {
  cpuMeter,
  postgresBackends,
  rawPrefix,
  redisServerPid,
  REDIS_URL,
  startBenchStack,
  submitBatches,
} from '../lib/genq.ts';
import type { BenchContext, Scenario } from '../lib/scenario.ts';
import { int, percent, sleep } from '../lib/stats.ts';

const WORKERS = 2;
const CONCURRENCY = 50;
const PER_BATCH = 100;
const IN_FLIGHT = 4;

/**
 * Sustained end-to-end throughput: a client submits noop jobs through the batch API (100 per
 * request, 4 requests in flight), 2 worker processes × 50 run them; counted completed in
 * PostgreSQL. Raw: the same client pattern with BullMQ `addBulk` (100 per call, 4 in flight)
 * and a no-op `Worker` in 2 processes × 50, on its own queue and prefix; measured before and
 * after genq, the mean is the counterpart.
 */
export const throughput: Scenario = {
  id: 'throughput',
  title: 'Sustained end-to-end throughput',
  async run(ctx) {
    const jobs = ctx.quick ? 2_000 : 10_000;
    const rawJobs = ctx.quick ? 5_000 : 30_000;
    const rawBefore = await runRaw(ctx, rawJobs);
    const genq = await runGenq(ctx, jobs, 'fair', ctx.quick ? 200 : 1_000);
    const rawAfter = await runRaw(ctx, rawJobs);
    const strict = await runGenq(ctx, Math.round(jobs / 2), 'strict', ctx.quick ? 200 : 1_000);
    const raw = (rawBefore.perSecond + rawAfter.perSecond) / 2;
    const share = genq.perSecond / raw;
    const cpu = (parts: Record<string, number>) =>
      `${Object.values(parts)
        .reduce((a, b) => a + b, 0)
        .toFixed(2)} ms (${Object.entries(parts)
        .map(([name, v]) => `${name} ${v.toFixed(2)}`)
        .join(', ')})`;
    return {
      rows: [
        {
          measure: `End-to-end throughput, noop jobs (${WORKERS} worker processes × ${CONCURRENCY})`,
          genq: `${int(genq.perSecond)} jobs/s`,
          raw: `${int(raw)} jobs/s (BullMQ addBulk + no-op Worker)`,
          ratio: percent(share),
          target: '≥ 25% of raw',
          met: share >= 0.25,
        },
      ],
      notes: [
        `Throughput: ${int(jobs)} genq jobs through \`POST /api/v1/jobs/batch\` (${PER_BATCH} per request, ${IN_FLIGHT} requests in flight), counted \`completed\` in PostgreSQL; rate = jobs ÷ (last \`completed_at\` − first request). The client's submissions alone ran at ${int(genq.submitPerSecond)} jobs/s; ${genq.notCompleted === 0 ? 'every job completed' : `${genq.notCompleted} jobs did not complete`}. Default (fair) scheduling; with \`GENQ_SCHEDULING=strict\` (BullMQ priorities only), ${int(strict.jobs)} jobs ran at ${int(strict.perSecond)} jobs/s.`,
        `Raw BullMQ: ${int(rawJobs)} jobs by \`addBulk\` (${PER_BATCH} per call, ${IN_FLIGHT} in flight) into a no-op \`Worker\` in ${WORKERS} processes × ${CONCURRENCY}, \`removeOnComplete\`; run before genq (${int(rawBefore.perSecond)} jobs/s) and after (${int(rawAfter.perSecond)} jobs/s), the mean is shown.`,
        `CPU time per job (from /proc; the client excluded): genq ${cpu(genq.cpu)}, strict scheduling ${cpu(strict.cpu)}; raw BullMQ ${cpu(rawAfter.cpu)}. Redis also serves other tenants of this machine, so its share is approximate.`,
      ],
    };
  },
};

interface GenqRun {
  jobs: number;
  perSecond: number;
  submitPerSecond: number;
  notCompleted: number;
  /** CPU ms per job by process group. */
  cpu: Record<string, number>;
}

async function runGenq(
  ctx: BenchContext,
  jobs: number,
  scheduling: 'fair' | 'strict',
  warmUp: number,
): Promise<GenqRun> {
  ctx.log(`throughput: genq (${scheduling} scheduling), ${jobs} jobs`);
  const bench = await startBenchStack({
    workers: WORKERS,
    concurrency: CONCURRENCY,
    generators: 'noop',
    env: { GENQ_SCHEDULING: scheduling },
  });
  try {
    const client = await bench.client('premium');
    const noop = () => ({ generator: 'noop', input: {} });
    // Warm-up: JIT, connection pools, Prisma's query compiler in every process.
    const warm = await submitBatches(bench.url, client.headers, warmUp, noop);
    await waitCompleted(bench.sql, warm.batchIds, warmUp);

    const meter = cpuMeter({
      api: bench.stack.apis.map((p) => p.child.pid ?? 0),
      workers: bench.stack.workers.map((p) => p.child.pid ?? 0),
      redis: [await redisServerPid(bench.stack.redis)],
      postgres: await postgresBackends(bench.sql),
    });
    await meter.start();
    const started = Date.now();
    const { batchIds } = await submitBatches(bench.url, client.headers, jobs, noop, {
      perBatch: PER_BATCH,
      inFlight: IN_FLIGHT,
    });
    const submitted = Date.now();
    const done = await waitCompleted(bench.sql, batchIds, jobs);
    const cpu = await meter.stop();
    return {
      jobs,
      perSecond: (jobs * 1000) / (done.lastCompletedAt - started),
      submitPerSecond: (jobs * 1000) / (submitted - started),
      notCompleted: jobs - done.completed,
      cpu: Object.fromEntries(Object.entries(cpu).map(([name, t]) => [name, t / jobs])),
    };
  } finally {
    await bench.close();
  }
}

/** Polls PostgreSQL until the batches' jobs have all ended (or nothing moved for 30 s). */
async function waitCompleted(
  sql: pg.Client,
  batchIds: string[],
  total: number,
): Promise<{ completed: number; lastCompletedAt: number }> {
  let last = { completed: -1, ended: 0, at: 0 };
  let movedAt = Date.now();
  for (;;) {
    const { rows } = await sql.query<{ completed: string; ended: string; at: Date | null }>(
      `SELECT count(*) FILTER (WHERE status = 'completed') AS completed,
              count(*) FILTER (WHERE status IN ('completed', 'failed', 'cancelled')) AS ended,
              max(completed_at) AS at
         FROM jobs WHERE batch_id = ANY($1::uuid[])`,
      [batchIds],
    );
    const row = rows[0]!;
    const now = {
      completed: Number(row.completed),
      ended: Number(row.ended),
      at: row.at?.getTime() ?? 0,
    };
    if (now.ended >= total) return { completed: now.completed, lastCompletedAt: now.at };
    if (now.ended !== last.ended) movedAt = Date.now();
    if (Date.now() - movedAt > 30_000) {
      throw new Error(`jobs stopped completing: ${now.ended} of ${total} ended`);
    }
    last = now;
    await sleep(200);
  }
}

async function runRaw(
  ctx: BenchContext,
  jobs: number,
): Promise<{ perSecond: number; cpu: Record<string, number> }> {
  ctx.log(`throughput: raw BullMQ, ${jobs} jobs`);
  const { prefix, drop } = rawPrefix();
  const queueName = 'bench-noop';
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection: redis, prefix });
  const children: Child[] = [];
  try {
    for (let i = 0; i < WORKERS; i += 1) {
      const child = await startChild('raw-worker.ts');
      children.push(child);
      await child.call('start', {
        redisUrl: REDIS_URL,
        prefix,
        queue: queueName,
        concurrency: CONCURRENCY,
      });
    }
    const completed = async (): Promise<{ completed: number; lastAt: number }> => {
      const stats = await Promise.all(
        children.map((c) => c.call<{ completed: number; lastAt: number }>('stats')),
      );
      return {
        completed: stats.reduce((s, x) => s + x.completed, 0),
        lastAt: Math.max(...stats.map((x) => x.lastAt)),
      };
    };
    const add = async (count: number): Promise<void> => {
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < count) {
          const size = Math.min(PER_BATCH, count - next);
          next += size;
          await queue.addBulk(
            Array.from({ length: size }, () => ({
              name: 'noop',
              data: {},
              opts: { removeOnComplete: true, removeOnFail: true },
            })),
          );
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    };
    const waitFor = async (target: number): Promise<number> => {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const now = await completed();
        if (now.completed >= target) return now.lastAt;
        if (Date.now() > deadline) throw new Error(`raw BullMQ: ${now.completed} of ${target}`);
        await sleep(50);
      }
    };
    await add(1_000);
    await waitFor(1_000);
    const meter = cpuMeter({
      workers: children.map((c) => c.pid),
      redis: [await redisServerPid(redis)],
    });
    await meter.start();
    const started = Date.now();
    await add(jobs);
    const lastAt = await waitFor(1_000 + jobs);
    const cpu = await meter.stop();
    return {
      perSecond: (jobs * 1000) / (lastAt - started),
      cpu: Object.fromEntries(Object.entries(cpu).map(([name, t]) => [name, t / jobs])),
    };
  } finally {
    await Promise.all(children.map((c) => c.call('close').catch(() => undefined)));
    await Promise.all(children.map((c) => c.stop()));
    await queue.close();
    await drop(redis);
    await redis.quit();
  }
}
