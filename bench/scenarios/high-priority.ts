import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startChild, type Child } from '../lib/ipc.ts';
import { rawPrefix, REDIS_URL, request, startBenchStack, submitBatches } from '../lib/genq.ts';
import type { BenchContext, Scenario } from '../lib/scenario.ts';
import { int, ms, percentile, sleep } from '../lib/stats.ts';

const WORKERS = 2;
const CONCURRENCY = 2;
/** Duration of every LOW job: the slot a HIGH job may have to wait for. */
const JOB_MS = 200;

/**
 * A HIGH job submitted behind 10,000 waiting LOW jobs while every worker slot runs a LOW job
 * of 200 ms: time from the POST to the row's `started_at`, minus one running job's time.
 * Raw: the same in BullMQ (priority 3 behind, priority 1 probe), time from `add` to the
 * processor's first line.
 */
export const highPriority: Scenario = {
  id: 'high-priority',
  title: 'HIGH job behind 10,000 LOW jobs',
  async run(ctx) {
    const low = ctx.quick ? 500 : 10_000;
    const trials = ctx.quick ? 3 : 10;
    const genq = await runGenq(ctx, low, trials);
    const raw = await runRaw(ctx, low, trials);
    // Start delay minus one running job's time (its measured run time, overheads included).
    const excess = (r: Trials) => r.delays.map((d) => d - r.jobMs);
    const worst = Math.max(...excess(genq));
    const rawWorst = Math.max(...excess(raw));
    const list = (values: number[]) => values.map((v) => v.toFixed(0)).join(', ');
    return {
      rows: [
        {
          measure: `HIGH job start behind ${int(low)} LOW jobs, minus one running job's time, worst of ${trials}`,
          genq: ms(worst),
          raw: `${ms(rawWorst)} (BullMQ priority 1 behind priority 3)`,
          ratio: `${ms(worst - rawWorst)} more`,
          target: '≤ 50 ms',
          met: worst <= 50,
        },
      ],
      notes: [
        `HIGH behind LOW: ${int(low)} LOW noop jobs (\`sleep_ms\` ${JOB_MS}) from a free-tier client keep ${WORKERS} worker processes × ${CONCURRENCY} busy; a premium client then submits a HIGH job, ${trials} times, each after a random pause. Start delay = POST → the row's \`started_at\`; one running job's time = the LOW jobs' median run time (\`started_at\` → \`completed_at\`), ${ms(genq.jobMs)}. Delay minus it: ${list(excess(genq))} ms (median ${ms(percentile(excess(genq), 50))}). Raw BullMQ, same slots and jobs (run time ${ms(raw.jobMs)}): ${list(excess(raw))} ms. A negative figure means a slot came free sooner than a whole job's time.`,
      ],
    };
  },
};

interface Trials {
  /** Submission → start, per trial (ms). */
  delays: number[];
  /** Median run time of the LOW jobs (ms). */
  jobMs: number;
}

async function runGenq(ctx: BenchContext, low: number, trials: number): Promise<Trials> {
  ctx.log(`high priority: genq, ${low} LOW jobs`);
  const bench = await startBenchStack({
    workers: WORKERS,
    concurrency: CONCURRENCY,
    generators: 'noop',
  });
  try {
    const free = await bench.client('free');
    const premium = await bench.client('premium');
    await submitBatches(bench.url, free.headers, low, () => ({
      generator: 'noop',
      priority: 'LOW',
      input: { sleep_ms: JOB_MS },
    }));
    const running = async (): Promise<number> => {
      const { rows } = await bench.sql.query<{ n: string }>(
        `SELECT count(*) AS n FROM jobs WHERE status = 'running'`,
      );
      return Number(rows[0]?.n);
    };
    while ((await running()) < WORKERS * CONCURRENCY) await sleep(20);
    await sleep(500);
    const delays: number[] = [];
    const trialsFrom = new Date();
    for (let t = 0; t < trials; t += 1) {
      await sleep(150 + Math.random() * 200);
      const submitted = Date.now();
      const reply = await request<{ id: string }>(
        'POST',
        `${bench.url}/api/v1/jobs`,
        { generator: 'noop', priority: 'HIGH', input: {} },
        premium.headers,
      );
      if (reply.status !== 202) throw new Error(`submission refused: ${reply.status}`);
      const deadline = Date.now() + 30_000;
      for (;;) {
        const { rows } = await bench.sql.query<{ started_at: Date | null }>(
          'SELECT started_at FROM jobs WHERE id = $1',
          [reply.body.id],
        );
        const startedAt = rows[0]?.started_at;
        if (startedAt) {
          delays.push(startedAt.getTime() - submitted);
          break;
        }
        if (Date.now() > deadline) throw new Error('the HIGH job did not start within 30 s');
        await sleep(5);
      }
    }
    const { rows } = await bench.sql.query<{ ms: number | null }>(
      `SELECT percentile_cont(0.5) WITHIN GROUP
                (ORDER BY extract(epoch FROM completed_at - started_at) * 1000) AS ms
         FROM jobs WHERE priority = 3 AND status = 'completed' AND completed_at >= $1`,
      [trialsFrom],
    );
    return { delays, jobMs: Number(rows[0]?.ms ?? JOB_MS) };
  } finally {
    await bench.close();
  }
}

async function runRaw(ctx: BenchContext, low: number, trials: number): Promise<Trials> {
  ctx.log(`high priority: raw BullMQ, ${low} LOW jobs`);
  const { prefix, drop } = rawPrefix();
  const queueName = 'bench-priority';
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection: redis, prefix });
  const children: Child[] = [];
  const starts = new Map<string, number>();
  try {
    for (let i = 0; i < WORKERS; i += 1) {
      const child = await startChild('raw-worker.ts');
      children.push(child);
      child.on('started', (data) => {
        const { id, at } = data as { id: string; at: number };
        starts.set(id, at);
      });
      await child.call('start', {
        redisUrl: REDIS_URL,
        prefix,
        queue: queueName,
        concurrency: CONCURRENCY,
      });
    }
    for (let i = 0; i < low; i += 100) {
      await queue.addBulk(
        Array.from({ length: Math.min(100, low - i) }, () => ({
          name: 'low',
          data: { sleepMs: JOB_MS },
          opts: { priority: 3, removeOnComplete: true, removeOnFail: true },
        })),
      );
    }
    await sleep(1_000);
    const delays: number[] = [];
    for (let t = 0; t < trials; t += 1) {
      await sleep(150 + Math.random() * 200);
      const submitted = Date.now();
      const job = await queue.add(
        'probe',
        { probe: true },
        { priority: 1, removeOnComplete: true, removeOnFail: true },
      );
      const deadline = Date.now() + 30_000;
      while (!starts.has(job.id ?? '')) {
        if (Date.now() > deadline) throw new Error('the raw probe did not start within 30 s');
        await sleep(2);
      }
      delays.push((starts.get(job.id ?? '') ?? 0) - submitted);
    }
    const runTimes = (
      await Promise.all(children.map((c) => c.call<{ runTimes: number[] }>('stats')))
    ).flatMap((stats) => stats.runTimes);
    return { delays, jobMs: percentile(runTimes, 50) };
  } finally {
    await Promise.all(
      children.map((c) => c.call('close', undefined, 10_000).catch(() => undefined)),
    );
    await Promise.all(children.map((c) => c.stop()));
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await drop(redis);
    await redis.quit();
  }
}
