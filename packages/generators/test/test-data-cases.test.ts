import { afterAll, describe, expect, it } from '@jest/globals';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@genq/core';
import { testDataGenerator } from '../src/test-data/index.ts';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const silentLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
} as unknown as Logger;

async function runCases(raw: Record<string, unknown>) {
  const dir = await mkdtemp(join(tmpdir(), 'genq-test-data-cases-'));
  dirs.push(dir);
  await testDataGenerator.run(testDataGenerator.input.parse({ mode: 'cases', seed: 1, ...raw }), {
    jobId: 'cases',
    attempt: 1,
    signal: new AbortController().signal,
    progress: () => undefined,
    logger: silentLogger,
    output: {
      createStream: (name) => createWriteStream(join(dir, name)),
      writeFile: (name, data) => writeFile(join(dir, name), data),
    },
  });
  return {
    files: async () => (await readdir(dir)).sort(),
    text: (name: string) => readFile(join(dir, name), 'utf8'),
  };
}

interface Case {
  field: string;
  kind: 'valid' | 'boundary' | 'invalid';
  value: string | number | boolean | null;
  reason: string;
}

const fields = [
  { name: 'id', type: 'uuid' },
  { name: 'age', type: 'integer', min: 18, max: 99 },
  { name: 'price', type: 'number', min: 0, max: 100, decimals: 2 },
  { name: 'active', type: 'boolean' },
  { name: 'code', type: 'string', min_length: 2, max_length: 6, charset: 'upper' },
  { name: 'email', type: 'email', unique: true },
  { name: 'name', type: 'name', nullable: 0.2 },
  { name: 'born', type: 'date', min: '1990-01-01', max: '2000-12-31' },
  { name: 'seen', type: 'datetime' },
  { name: 'plan', type: 'enum', values: ['free', 'pro'], weights: [9, 1] },
  { name: 'sku', type: 'pattern', pattern: '[A-Z]{2}-\\d{3}(-[a-z])?' },
  { name: 'site', type: 'url' },
  { name: 'phone', type: 'phone' },
];

describe('test-data cases mode', () => {
  it('writes valid, boundary and invalid cases with reasons for every field', async () => {
    const job = await runCases({ table: 'users', format: 'json', fields });
    expect(await job.files()).toEqual(['metadata.json', 'users_cases.json']);
    const cases = JSON.parse(await job.text('users_cases.json')) as Case[];
    for (const field of fields) {
      const mine = cases.filter((c) => c.field === field.name);
      expect(mine.some((c) => c.kind === 'valid')).toBe(true);
      expect(mine.some((c) => c.kind === 'invalid')).toBe(true);
      if (field.type !== 'boolean') expect(mine.some((c) => c.kind === 'boundary')).toBe(true);
      for (const c of mine) expect(c.reason.length).toBeGreaterThan(3);
    }
    const find = (field: string, kind: Case['kind'], reason: RegExp) =>
      cases
        .filter((c) => c.field === field && c.kind === kind && reason.test(c.reason))
        .map((c) => c.value);
    expect(find('age', 'boundary', /^min/)).toEqual([18]);
    expect(find('age', 'boundary', /^max/)).toEqual([99]);
    expect(find('age', 'invalid', /below min/)).toEqual([17]);
    expect(find('age', 'invalid', /above max/)).toEqual([100]);
    expect(find('price', 'invalid', /above max/)).toEqual([100.01]);
    expect(find('code', 'boundary', /longest/)).toEqual([expect.stringMatching(/^[A-Z]{6}$/)]);
    expect(find('code', 'invalid', /above max_length/)).toEqual([
      expect.stringMatching(/^[A-Z]{7}$/),
    ]);
    expect(find('code', 'invalid', /^empty/)).toEqual(['']);
    expect(find('born', 'invalid', /before min/)).toEqual(['1989-12-31']);
    expect(find('born', 'boundary', /leap day/)).toEqual(['1992-02-29']);
    expect(find('name', 'valid', /nullable/)).toEqual([null]);
    expect(find('age', 'invalid', /required/)).toEqual([null]);
    expect(find('email', 'invalid', /duplicate/)).toHaveLength(1);
    expect(find('plan', 'boundary', /rarest/)).toEqual(['pro']);
    expect(find('plan', 'invalid', /wrong case/)).toEqual(['FREE']);
  });

  it('labels pattern values correctly: valid ones match, invalid ones do not', async () => {
    const job = await runCases({ table: 't', format: 'ndjson', fields: [fields[10]] });
    const cases = (await job.text('t_cases.ndjson'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Case);
    const matcher = /^(?:[A-Z]{2}-\d{3}(-[a-z])?)$/;
    const strings = (kind: Case['kind']) =>
      cases
        .filter((c) => c.kind === kind && typeof c.value === 'string')
        .map((c) => c.value as string);
    expect(strings('valid').length).toBeGreaterThan(0);
    for (const value of [...strings('valid'), ...strings('boundary')])
      expect(value).toMatch(matcher);
    expect(strings('invalid').length).toBeGreaterThanOrEqual(3);
    for (const value of strings('invalid')) expect(value).not.toMatch(matcher);
  });

  it('gives foreign keys an existing and a dangling reference', async () => {
    const job = await runCases({
      format: 'csv',
      tables: [
        {
          name: 'users',
          rows: 5,
          fields: [{ name: 'id', type: 'integer', unique: true, min: 1, max: 5 }],
        },
        {
          name: 'orders',
          fields: [{ name: 'user_id', type: 'foreign_key', table: 'users', field: 'id' }],
        },
      ],
    });
    expect(await job.files()).toEqual(['metadata.json', 'orders_cases.csv', 'users_cases.csv']);
    const lines = (await job.text('orders_cases.csv')).split('\r\n');
    expect(lines[0]).toBe('field,kind,value,reason');
    expect(lines.some((l) => /^user_id,valid,[1-5],an existing users\.id$/.test(l))).toBe(true);
    expect(lines).toContain('user_id,invalid,6,no such users.id: a dangling reference');
    // CSV tells the empty string ("") from null (nothing).
    expect(lines).toContain('user_id,invalid,"",empty');
    expect(lines).toContain('user_id,invalid,,null: the field is required');
  });
});
