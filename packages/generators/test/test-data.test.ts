import { afterAll, describe, expect, it } from '@jest/globals';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger, WorkingStage } from '@genq/core';
import type { OutputWriter } from '../src/generator.ts';
import { testDataGenerator } from '../src/test-data/index.ts';

// ---- helpers: a real output directory, a recording logger, a tiny RFC 4180 parser ----

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

interface ProgressEvent {
  stage: WorkingStage;
  percent: number;
  message: string | undefined;
}

function fakeLogger(): Logger {
  const lines: unknown[] = [];
  const record = (...args: unknown[]) => {
    lines.push(args);
  };
  return { info: record, warn: record, error: record, debug: record, lines } as unknown as Logger;
}

async function runJob(raw: unknown, signal: AbortSignal = new AbortController().signal) {
  const dir = await mkdtemp(join(tmpdir(), 'genq-test-data-'));
  dirs.push(dir);
  const output: OutputWriter = {
    createStream: (name) => createWriteStream(join(dir, name)),
    writeFile: (name, data) => writeFile(join(dir, name), data),
  };
  const progress: ProgressEvent[] = [];
  const input = testDataGenerator.input.parse(raw);
  const summary = await testDataGenerator.run(input, {
    jobId: 'job-1',
    attempt: 1,
    signal,
    progress: (stage, percent, message) => progress.push({ stage, percent, message }),
    output,
    logger: fakeLogger(),
  });
  const files = async () => (await readdir(dir)).sort();
  const text = (name: string) => readFile(join(dir, name), 'utf8');
  const bytes = (name: string) => readFile(join(dir, name));
  const metadata = async () => JSON.parse(await text('metadata.json')) as Record<string, unknown>;
  return { dir, summary, progress, files, text, bytes, metadata };
}

/** RFC 4180: quoted fields may hold commas, doubled quotes and line breaks; CRLF ends records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 1;
    } else field += c;
  }
  if (field !== '' || record.length > 0) throw new Error('CSV does not end with CRLF');
  return records;
}

const TRICKY = [
  'plain',
  'with,comma',
  'with "quotes"',
  'two\nlines',
  "O'Brien",
  'back\\slash',
  'ünïcödé',
];

const peopleFields = [
  { name: 'id', type: 'uuid' },
  { name: 'name', type: 'name' },
  { name: 'email', type: 'email', unique: true },
  { name: 'age', type: 'integer', min: 18, max: 90, nullable: 0.1 },
  { name: 'balance', type: 'number', min: -50, max: 5000, decimals: 2 },
  { name: 'active', type: 'boolean', true_rate: 0.7 },
  { name: 'born', type: 'date', min: '1950-01-01', max: '2005-12-31' },
  { name: 'seen_at', type: 'datetime' },
  { name: 'note', type: 'enum', values: TRICKY },
  { name: 'code', type: 'pattern', pattern: '[A-Z]{3}-\\d{4}' },
];

// ---- formats ----

describe('test-data formats', () => {
  it('writes RFC 4180 CSV that parses back, quotes and line breaks included', async () => {
    const job = await runJob({ table: 'people', rows: 2000, seed: 1, fields: peopleFields });
    expect(await job.files()).toEqual(['metadata.json', 'people.csv']);
    const records = parseCsv(await job.text('people.csv'));
    expect(records[0]).toEqual(peopleFields.map((f) => f.name));
    const rows = records.slice(1);
    expect(rows).toHaveLength(2000);
    for (const row of rows) expect(row).toHaveLength(peopleFields.length);
    expect(new Set(rows.map((r) => r[8]))).toEqual(new Set(TRICKY));
    for (const row of rows.slice(0, 200)) {
      expect(row[0]).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(row[2]).toMatch(/^[a-z._]+\d*@[a-z0-9.-]+$/);
      expect(row[6]! >= '1950-01-01' && row[6]! <= '2005-12-31').toBe(true);
      expect(row[7]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(row[9]).toMatch(/^[A-Z]{3}-\d{4}$/);
      expect(Number(row[4])).toBeGreaterThanOrEqual(-50);
      expect(row[4]).toMatch(/^-?\d+\.\d{2}$/);
    }
  });

  it('writes one valid JSON array per table, with typed values and nulls', async () => {
    const job = await runJob({
      table: 'people',
      rows: 3000,
      seed: 2,
      format: 'json',
      fields: peopleFields,
    });
    const rows = JSON.parse(await job.text('people.json')) as Record<string, unknown>[];
    expect(rows).toHaveLength(3000);
    expect(Object.keys(rows[0]!)).toEqual(peopleFields.map((f) => f.name));
    expect(rows.every((r) => typeof r.active === 'boolean' && typeof r.balance === 'number')).toBe(
      true,
    );
    expect(rows.some((r) => r.age === null)).toBe(true);
    expect(
      rows.every(
        (r) =>
          r.age === null ||
          (Number.isInteger(r.age) && (r.age as number) >= 18 && (r.age as number) <= 90),
      ),
    ).toBe(true);
    expect(new Set(rows.map((r) => r.note))).toEqual(new Set(TRICKY));
  });

  it('writes NDJSON with one parseable object per line', async () => {
    const job = await runJob({
      table: 'people',
      rows: 1500,
      seed: 3,
      format: 'ndjson',
      fields: peopleFields,
    });
    const text = await job.text('people.ndjson');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines).toHaveLength(1500);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('id');
  });

  it('writes SQL: CREATE TABLE, batched multi-row INSERTs, quoted identifiers and strings', async () => {
    const fields = [
      { name: 'id', type: 'integer', unique: true, min: 1, max: 2500 },
      { name: 'select', type: 'enum', values: ["O'Brien", 'plain', 'a "b"'] },
      { name: 'maybe', type: 'boolean', nullable: 0.5 },
    ];
    const job = await runJob({
      table: 'items',
      rows: 2500,
      seed: 4,
      format: 'sql',
      sql: { batch_size: 1000 },
      fields,
    });
    const sql = await job.text('items.sql');
    expect(
      sql.startsWith(
        'BEGIN;\nCREATE TABLE IF NOT EXISTS "items" (\n  "id" BIGINT NOT NULL UNIQUE,',
      ),
    ).toBe(true);
    expect(sql.endsWith('COMMIT;\n')).toBe(true);
    expect(sql.match(/^INSERT INTO "items" \("id", "select", "maybe"\) VALUES$/gm)).toHaveLength(3);
    const tuples = sql.match(/^\(\d+, '(?:[^']|'')*', (?:TRUE|FALSE|NULL)\)[,;]$/gm) ?? [];
    expect(tuples).toHaveLength(2500);
    expect(sql).toContain("'O''Brien'");
    expect(sql).toContain(`'a "b"'`);
    expect(tuples.filter((t) => t.endsWith(';'))).toHaveLength(3);
  });

  it('writes one file per table and a metadata.json describing the job', async () => {
    const job = await runJob({
      seed: 5,
      format: 'ndjson',
      tables: [
        { name: 'users', rows: 10, fields: [{ name: 'id', type: 'uuid' }] },
        {
          name: 'orders',
          rows: 25,
          fields: [{ name: 'user_id', type: 'foreign_key', table: 'users', field: 'id' }],
        },
      ],
    });
    expect(await job.files()).toEqual(['metadata.json', 'orders.ndjson', 'users.ndjson']);
    const metadata = await job.metadata();
    expect(metadata).toMatchObject({
      generator: 'test-data',
      seed: 5,
      seed_source: 'input',
      locale: 'en',
      format: 'ndjson',
      mode: 'rows',
      tables: [
        { name: 'users', file: 'users.ndjson', rows: 10 },
        { name: 'orders', file: 'orders.ndjson', rows: 25 },
      ],
    });
    expect(typeof metadata.version).toBe('string');
    expect(job.summary).toEqual({ metadata });
  });
});

// ---- reproducibility ----

describe('test-data reproducibility', () => {
  const input = (seed?: number) => ({
    seed,
    tables: [
      { name: 'users', rows: 1000, fields: peopleFields },
      {
        name: 'orders',
        rows: 2000,
        fields: [
          { name: 'id', type: 'integer', unique: true, min: 1, max: 1_000_000 },
          { name: 'user_id', type: 'foreign_key', table: 'users', field: 'id' },
          { name: 'product', type: 'product_name' },
          { name: 'address', type: 'address' },
          { name: 'text', type: 'text' },
        ],
      },
    ],
  });

  it('gives byte-identical files for the same input and seed', async () => {
    const [a, b] = await Promise.all([runJob(input(42)), runJob(input(42))]);
    for (const name of ['users.csv', 'orders.csv', 'metadata.json']) {
      expect((await a.bytes(name)).equals(await b.bytes(name))).toBe(true);
    }
  });

  it('gives different data for a different seed', async () => {
    const [a, b] = await Promise.all([runJob(input(42)), runJob(input(43))]);
    expect((await a.bytes('users.csv')).equals(await b.bytes('users.csv'))).toBe(false);
    expect((await a.bytes('orders.csv')).equals(await b.bytes('orders.csv'))).toBe(false);
  });

  it('picks a seed when none is given, reports it, and that seed reproduces the run', async () => {
    const first = await runJob(input());
    const metadata = await first.metadata();
    expect(metadata.seed_source).toBe('random');
    expect(Number.isInteger(metadata.seed)).toBe(true);
    const again = await runJob(input(metadata.seed as number));
    expect((await first.bytes('users.csv')).equals(await again.bytes('users.csv'))).toBe(true);
  });

  it('keeps a column unchanged when another field is added', async () => {
    const base = { table: 't', rows: 500, seed: 9, format: 'json' };
    const one = await runJob({ ...base, fields: [{ name: 'a', type: 'city' }] });
    const two = await runJob({
      ...base,
      fields: [
        { name: 'z', type: 'uuid' },
        { name: 'a', type: 'city' },
      ],
    });
    const a = (JSON.parse(await one.text('t.json')) as { a: string }[]).map((r) => r.a);
    const b = (JSON.parse(await two.text('t.json')) as { a: string }[]).map((r) => r.a);
    expect(b).toEqual(a);
  });
});

// ---- relations, nulls, uniqueness ----

describe('test-data constraints', () => {
  it('fills foreign keys with ids that exist in the referenced table', async () => {
    const job = await runJob({
      seed: 11,
      format: 'json',
      tables: [
        {
          name: 'users',
          rows: 300,
          fields: [
            { name: 'id', type: 'uuid' },
            { name: 'n', type: 'integer', unique: true, min: 1, max: 300 },
          ],
        },
        {
          name: 'orders',
          rows: 2000,
          fields: [
            { name: 'user_id', type: 'foreign_key', table: 'users', field: 'id' },
            { name: 'user_n', type: 'foreign_key', table: 'users', field: 'n', nullable: 0.2 },
          ],
        },
        {
          name: 'profiles',
          rows: 300,
          fields: [
            { name: 'user_id', type: 'foreign_key', table: 'users', field: 'id', unique: true },
          ],
        },
      ],
    });
    const users = JSON.parse(await job.text('users.json')) as { id: string; n: number }[];
    const orders = JSON.parse(await job.text('orders.json')) as {
      user_id: string;
      user_n: number | null;
    }[];
    const profiles = JSON.parse(await job.text('profiles.json')) as { user_id: string }[];
    const ids = new Set(users.map((u) => u.id));
    const ns = new Set(users.map((u) => u.n));
    expect(orders.every((o) => ids.has(o.user_id))).toBe(true);
    expect(orders.every((o) => o.user_n === null || ns.has(o.user_n))).toBe(true);
    expect(new Set(orders.map((o) => o.user_id)).size).toBeGreaterThan(250);
    // A unique foreign key over as many rows as the target: every user exactly once.
    expect(new Set(profiles.map((p) => p.user_id))).toEqual(ids);
  });

  it('honours the nullable rate roughly', async () => {
    const job = await runJob({
      table: 't',
      rows: 20_000,
      seed: 12,
      format: 'ndjson',
      fields: [
        { name: 'a', type: 'integer', nullable: 0.3 },
        { name: 'b', type: 'city', nullable: true },
        { name: 'c', type: 'uuid' },
      ],
    });
    const rows = (await job.text('t.ndjson'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const share = (key: string) => rows.filter((r) => r[key] === null).length / rows.length;
    expect(share('a')).toBeGreaterThan(0.28);
    expect(share('a')).toBeLessThan(0.32);
    expect(share('b')).toBeGreaterThan(0.085);
    expect(share('b')).toBeLessThan(0.115);
    expect(share('c')).toBe(0);
  });

  it('keeps unique fields unique, down to a range exactly as large as the row count', async () => {
    const rows = 10_000;
    const job = await runJob({
      table: 't',
      rows,
      seed: 13,
      format: 'ndjson',
      fields: [
        { name: 'n', type: 'integer', unique: true, min: 1, max: rows },
        { name: 'x', type: 'number', unique: true, min: 0, max: 99.99, decimals: 2 },
        { name: 'email', type: 'email', unique: true },
        {
          name: 'code',
          type: 'string',
          unique: true,
          min_length: 4,
          max_length: 4,
          charset: 'hex',
        },
        { name: 'day', type: 'date', unique: true, min: '2000-01-01', max: '2030-12-31' },
        { name: 'phone', type: 'phone', unique: true },
        { name: 'city', type: 'city', unique: true },
        {
          name: 'pick',
          type: 'enum',
          unique: true,
          values: Array.from({ length: rows }, (_, i) => `v${i}`),
        },
        { name: 'id', type: 'uuid' },
      ],
    });
    const data = (await job.text('t.ndjson'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(data).toHaveLength(rows);
    for (const key of ['n', 'x', 'email', 'code', 'day', 'phone', 'city', 'pick', 'id']) {
      expect(new Set(data.map((r) => r[key])).size).toBe(rows);
    }
    const ns = data.map((r) => r.n as number).sort((a, b) => a - b);
    expect(ns[0]).toBe(1);
    expect(ns[rows - 1]).toBe(rows);
    expect(data.every((r) => typeof r.code === 'string' && /^[0-9a-f]{4}$/.test(r.code))).toBe(
      true,
    );
  });
});

// ---- running: progress, cancel ----

describe('test-data run', () => {
  it('reports progress in stage order, never going back, ending at 100', async () => {
    const job = await runJob({ table: 't', rows: 20_000, seed: 14, fields: peopleFields });
    const stages: WorkingStage[] = ['loading_model', 'encoding_prompt', 'generating', 'saving'];
    let last = { stage: 0, percent: 0 };
    for (const event of job.progress) {
      const stage = stages.indexOf(event.stage);
      expect(stage).toBeGreaterThanOrEqual(last.stage);
      expect(event.percent).toBeGreaterThanOrEqual(last.percent);
      expect(event.percent).toBeLessThanOrEqual(100);
      last = { stage, percent: event.percent };
    }
    expect(job.progress[0]?.stage).toBe('loading_model');
    const generating = job.progress.filter((e) => e.stage === 'generating');
    expect(generating.length).toBeGreaterThan(1);
    expect(generating.at(-1)).toMatchObject({ percent: 100, message: '20,000 / 20,000 rows' });
    expect(job.progress.at(-1)).toMatchObject({ stage: 'saving', percent: 100 });
  });

  it('stops within a second of an abort, with the abort reason', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by test');
    let abortedAt = 0;
    const dir = await mkdtemp(join(tmpdir(), 'genq-test-data-'));
    dirs.push(dir);
    const input = testDataGenerator.input.parse({
      table: 'big',
      rows: 1_000_000,
      seed: 15,
      fields: peopleFields,
    });
    const run = testDataGenerator.run(input, {
      jobId: 'job-abort',
      attempt: 1,
      signal: controller.signal,
      progress: (stage, percent) => {
        if (stage === 'generating' && percent >= 1 && abortedAt === 0) {
          abortedAt = performance.now();
          controller.abort(reason);
        }
      },
      output: {
        createStream: (name) => createWriteStream(join(dir, name)),
        writeFile: (name, data) => writeFile(join(dir, name), data),
      },
      logger: fakeLogger(),
    });
    await expect(run).rejects.toBe(reason);
    expect(abortedAt).toBeGreaterThan(0);
    expect(performance.now() - abortedAt).toBeLessThan(1000);
    expect(await readdir(dir)).not.toContain('metadata.json');
  });

  it('keeps the event loop responsive while generating', async () => {
    // Warm up: the first import of a locale and the first optimising compiles of the row
    // code are one-offs per process (~20 ms with tsx, over 100 ms inside Jest's VM modules).
    await runJob({ table: 't', rows: 3000, seed: 16, fields: peopleFields });
    // Wall-clock gaps also count time other processes hold the CPU, so each gap is measured in
    // this process's CPU time: a generator that blocks would burn its whole run in one gap.
    let ticks = 0;
    let maxBusyMs = 0;
    let lastCpu = process.cpuUsage();
    const timer = setInterval(() => {
      const cpu = process.cpuUsage(lastCpu);
      maxBusyMs = Math.max(maxBusyMs, (cpu.user + cpu.system) / 1000);
      lastCpu = process.cpuUsage();
      ticks += 1;
    }, 5);
    try {
      await runJob({ table: 't', rows: 40_000, seed: 16, fields: peopleFields });
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(10);
    // ~10 ms chunks and pool slices; the margin covers JIT and GC threads on a loaded machine.
    expect(maxBusyMs).toBeLessThan(100);
  });
});

// ---- contract details ----

describe('test-data generator contract', () => {
  it('estimates about 200,000 rows per second plus a constant', () => {
    const input = testDataGenerator.input.parse({
      fields: [{ name: 'a', type: 'uuid' }],
      rows: 2_000_000,
    });
    expect(testDataGenerator.estimateSeconds(input)).toBeCloseTo(10.5, 1);
  });

  it('publishes a described JSON Schema', () => {
    const schema = z.toJSONSchema(testDataGenerator.input, { io: 'input', unrepresentable: 'any' });
    const text = JSON.stringify(schema);
    expect(schema).toMatchObject({ type: 'object', additionalProperties: false });
    expect(text).toContain('foreign_key');
    expect(text).toContain('Same input and seed give byte-identical files');
  });
});
