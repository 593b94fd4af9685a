/**
 * test-data throughput and memory: a 10-field CSV table at the given row counts, written to a
 * temporary directory, beside a bare @faker-js/faker loop making the same 10 fields.
 *
 *   npx tsx bench/test-data.bench.ts [rows...]     (default: 1000000 10000000)
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from '@genq/core';
import { testDataGenerator } from '../packages/generators/src/test-data/index.ts';

const FIELDS = [
  { name: 'id', type: 'uuid' },
  { name: 'first_name', type: 'first_name' },
  { name: 'last_name', type: 'last_name' },
  { name: 'email', type: 'email' },
  { name: 'age', type: 'integer', min: 18, max: 90 },
  { name: 'balance', type: 'number', min: 0, max: 10_000, decimals: 2 },
  { name: 'active', type: 'boolean' },
  { name: 'signed_up', type: 'date', min: '2015-01-01', max: '2024-12-31' },
  {
    name: 'plan',
    type: 'enum',
    values: ['free', 'pro', 'team', 'enterprise'],
    weights: [60, 25, 10, 5],
  },
  { name: 'city', type: 'city' },
];
const FAKER_ROWS = 200_000;

const silentLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
} as unknown as Logger;

/** Samples RSS every 50 ms while `work` runs (the generator yields often enough for the timer to fire). */
async function withPeakRss<T>(work: () => Promise<T>): Promise<{ result: T; peakRss: number }> {
  let peakRss = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  try {
    const result = await work();
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    return { result, peakRss };
  } finally {
    clearInterval(timer);
  }
}

interface Result {
  rows: number;
  seconds: number;
  /** CPU seconds of this process (all threads): a figure that holds up when other work shares the cores. */
  cpuSeconds: number;
  startRss: number;
  peakRss: number;
  bytes: number;
}

async function runGenerator(rows: number): Promise<Result> {
  const dir = await mkdtemp(join(tmpdir(), 'genq-bench-test-data-'));
  try {
    const input = testDataGenerator.input.parse({
      table: 'people',
      rows,
      format: 'csv',
      seed: 42,
      fields: FIELDS,
    });
    const startRss = process.memoryUsage().rss;
    const startCpu = process.cpuUsage();
    const started = performance.now();
    const { peakRss } = await withPeakRss(() =>
      testDataGenerator.run(input, {
        jobId: 'bench',
        attempt: 1,
        signal: new AbortController().signal,
        progress: () => undefined,
        logger: silentLogger,
        output: {
          createStream: (name) => createWriteStream(join(dir, name)),
          writeFile: (name, data) => writeFile(join(dir, name), data),
        },
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(startCpu);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const bytes = (await stat(join(dir, 'people.csv'))).size;
    return { rows, seconds, cpuSeconds, startRss, peakRss, bytes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The naive way: one faker call per value, the same 10 fields, joined into CSV lines.
 * Imported here, after the generator runs: the package's main entry loads every locale,
 * which would inflate the generator's RSS figures.
 */
async function runBareFaker(rows: number): Promise<{ perSecond: number; perCpuSecond: number }> {
  const { faker } = await import('@faker-js/faker');
  faker.seed(42);
  const startCpu = process.cpuUsage();
  const started = performance.now();
  let chunk = '';
  let bytes = 0;
  for (let i = 0; i < rows; i += 1) {
    const first = faker.person.firstName();
    const last = faker.person.lastName();
    chunk +=
      [
        faker.string.uuid(),
        first,
        last,
        faker.internet.email({ firstName: first, lastName: last }),
        faker.number.int({ min: 18, max: 90 }),
        faker.number.float({ min: 0, max: 10_000, fractionDigits: 2 }),
        faker.datatype.boolean(),
        faker.date.between({ from: '2015-01-01', to: '2024-12-31' }).toISOString().slice(0, 10),
        faker.helpers.weightedArrayElement([
          { value: 'free', weight: 60 },
          { value: 'pro', weight: 25 },
          { value: 'team', weight: 10 },
          { value: 'enterprise', weight: 5 },
        ]),
        faker.location.city(),
      ].join(',') + '\n';
    if (chunk.length > 1 << 20) {
      bytes += chunk.length;
      chunk = '';
    }
  }
  bytes += chunk.length;
  if (bytes === 0) throw new Error('nothing generated');
  const cpu = process.cpuUsage(startCpu);
  return {
    perSecond: rows / ((performance.now() - started) / 1000),
    perCpuSecond: rows / ((cpu.user + cpu.system) / 1e6),
  };
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const n = (value: number): string => Math.round(value).toLocaleString('en-US');

async function main(): Promise<void> {
  const args = process.argv.slice(2).map(Number);
  const counts = args.length > 0 ? args : [1_000_000, 10_000_000];
  if (counts.some((c) => !Number.isInteger(c) || c < 1))
    throw new Error('usage: test-data.bench.ts [rows...]');

  // Warm-up: loads the locale and compiles the hot paths, so the first measured run is not penalised.
  await runGenerator(20_000);

  const results: Result[] = [];
  for (const rows of counts) results.push(await runGenerator(rows));
  const fakerRate = await runBareFaker(FAKER_ROWS);

  const load = loadavg()[0]?.toFixed(1);
  console.log(
    `\n## test-data: 10-field CSV (node ${process.version}, ${process.platform}/${process.arch}, load ${load})\n`,
  );
  console.log(
    '| rows | seconds | rows/s | CPU s | rows per CPU-second | RSS at start | peak RSS | output |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    console.log(
      `| ${n(r.rows)} | ${r.seconds.toFixed(2)} | ${n(r.rows / r.seconds)} | ${r.cpuSeconds.toFixed(2)} | ${n(r.rows / r.cpuSeconds)} | ${mb(r.startRss)} | ${mb(r.peakRss)} | ${mb(r.bytes)} |`,
    );
  }
  console.log(
    `\nBare @faker-js/faker loop, same 10 fields, ${n(FAKER_ROWS)} rows: ${n(fakerRate.perSecond)} rows/s, ` +
      `${n(fakerRate.perCpuSecond)} rows per CPU-second`,
  );
  const best = results.reduce((a, b) => (b.rows / b.cpuSeconds > a.rows / a.cpuSeconds ? b : a));
  console.log(
    `test-data makes ${(best.rows / best.cpuSeconds / fakerRate.perCpuSecond).toFixed(1)}× the rows per ` +
      'CPU-second of the bare faker loop (target: ≥ 200,000 rows/s on this machine).',
  );
}

await main();
