import { readdir } from 'node:fs/promises';
import { setPriority } from 'node:os';
import { cpuMsOf, request, startBenchStack } from '../lib/genq.ts';
import type { Scenario } from '../lib/scenario.ts';
import { distribution, ms, percent, ratio, sleep, type Distribution } from '../lib/stats.ts';

const WORKERS = 2;

/** A test-data job large enough to keep a worker busy for the whole measurement. */
const BIG_JOB = {
  generator: 'test-data',
  input: {
    rows: 2_000_000,
    format: 'csv',
    seed: 7,
    fields: [
      { name: 'id', type: 'uuid' },
      { name: 'name', type: 'name' },
      { name: 'email', type: 'email' },
      { name: 'n', type: 'integer', min: 0, max: 1000 },
    ],
  },
};

/**
 * `GET /health` latency (sequential requests on a keep-alive connection) while 2 worker
 * processes each run a large test-data job, against the same API when idle.
 */
export const healthUnderLoad: Scenario = {
  id: 'health',
  title: '/health under load',
  async run(ctx) {
    const count = ctx.quick ? 200 : 2_000;
    ctx.log(`health: ${count} requests idle, then under load`);
    const bench = await startBenchStack({
      workers: WORKERS,
      concurrency: 1,
      generators: 'test-data',
    });
    try {
      const client = await bench.client('premium');
      await measure(bench.url, 300);
      const idle = await measure(bench.url, count);

      for (let i = 0; i < WORKERS * 2; i += 1) {
        const reply = await request('POST', `${bench.url}/api/v1/jobs`, BIG_JOB, client.headers);
        if (reply.status !== 202) throw new Error(`submission refused: ${reply.status}`);
      }
      const generating = async (): Promise<number> => {
        const { rows } = await bench.sql.query<{ n: string }>(
          `SELECT count(*) AS n FROM jobs WHERE status = 'running' AND current_step = 'generating'`,
        );
        return Number(rows[0]?.n);
      };
      const deadline = Date.now() + 60_000;
      while ((await generating()) < WORKERS) {
        if (Date.now() > deadline) throw new Error('the workers did not start generating');
        await sleep(50);
      }
      const pids = bench.stack.workers.map((w) => w.child.pid ?? 0);
      const cpuBefore = await Promise.all(pids.map(cpuMsOf));
      const started = performance.now();
      const loaded = await measure(bench.url, count);
      const elapsed = performance.now() - started;
      const cpuAfter = await Promise.all(pids.map(cpuMsOf));
      const workerCpu =
        cpuAfter.reduce((s, v, i) => s + v - (cpuBefore[i] ?? 0), 0) / (elapsed * WORKERS);
      // The same with the workers at nice 10, as `nice -n 10` or systemd's `Nice=10` would
      // run them on a host they share with the API.
      await Promise.all(pids.map((pid) => renice(pid, 10)));
      const niced = await measure(bench.url, count);
      const busyAtEnd = await generating();

      const p99 = loaded.p99 / idle.p99;
      return {
        rows: [
          {
            measure: '`/health` under load, p50',
            genq: ms(loaded.p50),
            raw: `${ms(idle.p50)} (same API, idle)`,
            ratio: ratio(loaded.p50 / idle.p50),
            target: '',
            met: null,
          },
          {
            measure: '`/health` under load, p99',
            genq: ms(loaded.p99),
            raw: ms(idle.p99),
            ratio: ratio(p99),
            target: '≤ 2× idle and < 10 ms',
            met: p99 <= 2 && loaded.p99 < 10,
          },
        ],
        notes: [
          `/health: ${count} sequential \`GET /health\` on a keep-alive connection, idle and then while ${WORKERS} worker processes (concurrency 1) each ran a 2,000,000-row test-data job; the workers got ${percent(workerCpu)} of ${WORKERS} cores during the measurement (they compete with everything else on the machine)${busyAtEnd < WORKERS ? ` (only ${busyAtEnd} were still generating at the end)` : ''}. Max: idle ${ms(idle.max)}, under load ${ms(loaded.max)}. With the same workers reniced to 10 (\`nice -n 10\`, systemd \`Nice=10\`): p50 ${ms(niced.p50)}, p99 ${ms(niced.p99)} (${ratio(niced.p99 / idle.p99)} idle).`,
        ],
      };
    } finally {
      await bench.close();
    }
  },
};

/** Sets the nice value of every thread of a process (Linux applies it per thread). */
async function renice(pid: number, value: number): Promise<void> {
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    try {
      setPriority(Number(tid), value);
    } catch {
      // a thread that just ended
    }
  }
}

async function measure(url: string, count: number): Promise<Distribution> {
  const timings: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    const reply = await request('GET', `${url}/health`);
    timings.push(performance.now() - started);
    if (reply.status !== 200) throw new Error(`/health answered ${reply.status}`);
  }
  return distribution(timings);
}
