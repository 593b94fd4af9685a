/**
 * Where genq's time per job goes: runs the throughput workload (noop jobs through the batch
 * API, 2 worker processes × 50) with the V8 CPU profiler on the API and the workers (bench/lib/cpu-profile-preload.mjs), and prints
 * the CPU time per job of every process involved (API, workers, Redis, the PostgreSQL
 * backends of the bench database) and each profile's heaviest functions.
 *
 *   npx tsx bench/profile.ts [jobs]     (default 5000; profiles land in var/profiles/)
 *   npx tsx bench/profile.ts --show [jobs]   prints the profiles of the last run again
 *
 * GENQ_* variables set for this command reach the genq processes (e.g. GENQ_SCHEDULING=strict).
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { cpuMsOf, REDIS_URL, startBenchStack, submitBatches } from './lib/genq.ts';
import { sleep } from './lib/stats.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIR = path.join(ROOT, 'var/profiles');

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a sample's own time goes: a package, a genq file, or a native/V8 bucket. */
function area(url: string, functionName: string): string {
  const file = url.replace(/^file:\/\//, '').replace(`${ROOT}/`, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1];
  if (pkg) return pkg;
  if (file.startsWith('node:')) return 'node (JS)';
  if (file === '') return functionName.startsWith('(') ? functionName : `native: ${functionName}`;
  return file;
}

/** Self time (ms per job) by function and by area, busy samples only, heaviest first. */
function heaviest(profile: CpuProfile, jobs: number, top: number): string[] {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const frame = byNode.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') return;
    const t = (profile.timeDeltas[i] ?? 0) / 1000;
    busy += t;
    const where = area(frame.url, frame.functionName);
    const key = `${frame.functionName || '(anonymous)'}  ${where}:${frame.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + t);
    byArea.set(where, (byArea.get(where) ?? 0) + t);
  });
  const list = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, t]) => `${(t / jobs).toFixed(3).padStart(7)} ms/job  ${key}`);
  return [
    `busy ${(busy / jobs).toFixed(3)} ms/job; by area:`,
    ...list(byArea),
    'by function:',
    ...list(byFunction),
  ];
}

async function show(jobs: number): Promise<void> {
  for (const file of (await readdir(DIR)).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(await readFile(path.join(DIR, file), 'utf8')) as CpuProfile;
    console.log(`\n${file}:`);
    for (const line of heaviest(profile, jobs, 20)) console.log(`  ${line}`);
  }
}

async function main(): Promise<void> {
  const [first, second] = process.argv.slice(2);
  const jobs = Number((first === '--show' ? second : first) ?? 5_000);
  if (!Number.isInteger(jobs) || jobs < 1) {
    console.error('usage: npx tsx bench/profile.ts [--show] [jobs]');
    process.exitCode = 2;
    return;
  }
  if (first === '--show') return show(jobs);
  await rm(DIR, { recursive: true, force: true });
  await mkdir(DIR, { recursive: true });
  const bench = await startBenchStack({
    workers: 2,
    concurrency: 50,
    generators: 'noop',
    env: {
      ...Object.fromEntries(
        Object.entries(process.env).filter(
          (entry): entry is [string, string] => entry[0].startsWith('GENQ_') && !!entry[1],
        ),
      ),
      NODE_OPTIONS: `--import ${path.join(ROOT, 'bench/lib/cpu-profile-preload.mjs')}`,
      GENQ_CPU_PROFILE_DIR: DIR,
    },
  });
  const redis = new Redis(REDIS_URL);
  console.log(`Redis prefix ${bench.stack.prefix}, database ${bench.stack.databaseUrl}`);
  try {
    const client = await bench.client('premium');
    const noop = () => ({ generator: 'noop', input: {} });
    const wait = async (batchIds: string[], total: number): Promise<void> => {
      for (;;) {
        const { rows } = await bench.sql.query<{ n: string }>(
          `SELECT count(*) AS n FROM jobs WHERE batch_id = ANY($1::uuid[])
             AND status IN ('completed', 'failed', 'cancelled')`,
          [batchIds],
        );
        if (Number(rows[0]?.n) >= total) return;
        await sleep(200);
      }
    };
    const warm = await submitBatches(bench.url, client.headers, 1_000, noop);
    await wait(warm.batchIds, 1_000);

    const redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
    const { rows } = await bench.sql.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    const processes: [string, number][] = [
      ['api', bench.stack.apis[0]?.child.pid ?? 0],
      ...bench.stack.workers.map((w, i): [string, number] => [`worker ${i + 1}`, w.child.pid ?? 0]),
      ['redis-server (shared)', redisPid],
      ...rows.map((r): [string, number] => [`postgres backend ${r.pid}`, r.pid]),
    ];
    const cpu = async () => Promise.all(processes.map(([, pid]) => cpuMsOf(pid).catch(() => 0)));
    for (const p of [...bench.stack.apis, ...bench.stack.workers]) p.child.kill('SIGUSR2');
    await sleep(1_000);
    await rm(DIR, { recursive: true, force: true });
    await mkdir(DIR, { recursive: true });
    const before = await cpu();
    const started = Date.now();
    const run = await submitBatches(bench.url, client.headers, jobs, noop);
    await wait(run.batchIds, jobs);
    const seconds = (Date.now() - started) / 1000;
    const after = await cpu();
    console.log(
      `\n${jobs} jobs in ${seconds.toFixed(1)} s (${(jobs / seconds).toFixed(0)} jobs/s)`,
    );
    console.log('CPU per job (ms):');
    let postgres = 0;
    processes.forEach(([name], i) => {
      const perJob = ((after[i] ?? 0) - (before[i] ?? 0)) / jobs;
      if (name.startsWith('postgres')) postgres += perJob;
      else console.log(`  ${name.padEnd(24)} ${perJob.toFixed(3)}`);
    });
    console.log(`  ${'postgres (all backends)'.padEnd(24)} ${postgres.toFixed(3)}`);

    for (const p of [...bench.stack.apis, ...bench.stack.workers]) p.child.kill('SIGUSR2');
    await sleep(3_000);
    await show(jobs);
  } catch (error) {
    for (const p of [...bench.stack.apis, ...bench.stack.workers]) {
      console.error(`--- output of ${p.child.pid}:\n${p.output().slice(-4000)}`);
    }
    throw error;
  } finally {
    await redis.quit();
    await bench.close();
  }
}

await main();
