import { afterAll, describe, expect, it } from '@jest/globals';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ValidationError, type Logger } from '@genq/core';
import { COST_CAP, satAdd, satMul } from '../src/cost.ts';
import type { OutputWriter } from '../src/generator.ts';
import { limitsEnvShape } from '../src/limits.ts';
import { createGeneratorRegistry } from '../src/registry.ts';
import { testDataGenerator } from '../src/test-data/index.ts';
import { MAX_PATTERN_VALUE_LENGTH } from '../src/test-data/limits.ts';
import { loadFaker } from '../src/test-data/locale.ts';
import { compilePattern, measurePattern, PatternSyntaxError } from '../src/test-data/regex.ts';
import { buildPools, POOL_NAMES } from '../src/test-data/value-pools.ts';
import { formatCharBytes, POOL_MAX_BYTES } from '../src/test-data/worst-case.ts';

const registry = createGeneratorRegistry([testDataGenerator]);

function issuesOf(input: unknown): string[] {
  const result = testDataGenerator.input.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

function refusal(input: unknown, target = registry): ValidationError {
  try {
    target.parseInput('test-data', input);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a validation error');
}

describe('saturating arithmetic', () => {
  it('stops at COST_CAP instead of Infinity, and 0 × anything is 0', () => {
    expect(satMul(COST_CAP, 2)).toBe(COST_CAP);
    expect(satMul(1e200, 1e200)).toBe(COST_CAP);
    expect(satMul(COST_CAP, 0)).toBe(0);
    expect(satAdd(COST_CAP, COST_CAP)).toBe(COST_CAP);
    expect(satMul(1000, 1000)).toBe(1_000_000);
  });
});

describe('pattern measure (from the tree, nothing expanded)', () => {
  it('multiplies nested repetition', () => {
    expect(measurePattern('(a{1000}){1000}').maxLength).toBe(1_000_000);
    expect(measurePattern('(((ab){100}){100}){100}').maxLength).toBe(2_000_000);
    expect(measurePattern('[A-Z]{3}-\\d{4}')).toMatchObject({ minLength: 8, maxLength: 8 });
    expect(measurePattern('(x|yyy|zz){2,5}')).toMatchObject({ minLength: 2, maxLength: 15 });
  });

  it('gives unbounded quantifiers the cap the expander uses (8 more than the minimum)', () => {
    expect(measurePattern('a*').maxLength).toBe(8);
    expect(measurePattern('a+').maxLength).toBe(9);
    expect(measurePattern('a{3,}').maxLength).toBe(11);
    expect(measurePattern('(a*)*').maxLength).toBe(64);
    expect(measurePattern('((a+)+)+').maxLength).toBe(729);
  });

  it('saturates instead of overflowing, and never loops', () => {
    const deep = `${'('.repeat(60)}a${'{1000})'.repeat(60)}`;
    const measure = measurePattern(deep);
    expect(measure.maxLength).toBe(COST_CAP);
    expect(measure.steps).toBe(COST_CAP);
    // A saturated length repeated 0 times is 0, not NaN.
    expect(measurePattern(`(${deep}){0}`).maxLength).toBe(0);
    const stars = `${'('.repeat(200)}a${')*'.repeat(200)}`;
    expect(measurePattern(stars).maxLength).toBe(COST_CAP);
  });

  it('counts steps even where nothing is written: empty repeats cost time too', () => {
    const empty = measurePattern('((){1000}){1000}');
    expect(empty.maxLength).toBe(0);
    expect(empty.steps).toBeGreaterThan(1_000_000);
  });

  it('counts the bytes a format writes per character', () => {
    expect(measurePattern('\\x01{10}', formatCharBytes('json')).maxBytes).toBe(60);
    expect(measurePattern('"{10}', formatCharBytes('csv')).maxBytes).toBe(20);
    expect(measurePattern("'{10}", formatCharBytes('sql')).maxBytes).toBe(20);
    expect(measurePattern('\\u00e9{10}', formatCharBytes('csv')).maxBytes).toBe(20);
    expect(measurePattern('[a-z]{10}', formatCharBytes('json')).maxBytes).toBe(10);
  });

  it('never expands beyond the measured length', () => {
    const sources = ['(a|bc)*d{0,3}', '((x?y+){2,4}|z)+', '[^a]{1,5}(q|rr|sss)?', '(a{10}b*){3}'];
    for (const source of sources) {
      const pattern = compilePattern(source);
      let seed = 7;
      const draw = { below: (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n };
      for (let i = 0; i < 500; i += 1) {
        expect(pattern.generate(draw).length).toBeLessThanOrEqual(pattern.measure.maxLength);
      }
      expect(pattern.longest.length).toBe(pattern.measure.maxLength);
    }
  });
});

describe('patterns refused at submission, naming the field', () => {
  it.each([
    ['(a)\\1', /backreferences/],
    ['(?=a)a', /lookahead/],
    ['(?<!a)b', /lookahead and lookbehind/],
    ['(a{100}){100}', /nested counted repeats multiply/],
    ['(((x{1000})*)*)*', /characters long/],
    ['((((((((a*)*)*)*)*)*)*)*)*', /generation steps|characters long/],
  ])('/%s/', (pattern, message) => {
    const issues = issuesOf({ rows: 1, fields: [{ name: 'p', type: 'pattern', pattern }] });
    expect(issues[0]).toMatch(/^fields\.0\.pattern: /);
    expect(issues[0]).toMatch(message);
  });

  it('accepts nested unbounded quantifiers, which cannot backtrack here: matching is re2js', () => {
    for (const source of ['(a+)+b', '(a|a)*c', '(a*)*b', '(\\w+\\.)+com']) {
      const pattern = compilePattern(source);
      const hostile = 'a'.repeat(100_000);
      expect(pattern.matches(hostile)).toBe(false);
    }
  });
});

describe('test-data worst case at submission', () => {
  it('refuses rows × a long pattern over max_output_bytes, naming rows and the field', () => {
    const error = refusal({
      rows: 10_000_000,
      fields: [
        { name: 'id', type: 'uuid' },
        { name: 'blob', type: 'pattern', pattern: '[a-z]{1000}' },
      ],
    });
    const paths = error.details.map((d) => d.path);
    expect(paths).toEqual(['input.rows', 'input.fields.1.pattern']);
    expect(error.details[0]?.message).toMatch(/max_output_bytes/);
  });

  it('names tables.<i> in the multi-table form', () => {
    const error = refusal({
      tables: [
        { name: 'a', rows: 10, fields: [{ name: 'id', type: 'uuid' }] },
        { name: 'b', rows: 5_000_000, fields: [{ name: 's', type: 'string', max_length: 10_000 }] },
      ],
    });
    expect(error.details.map((d) => d.path)).toEqual([
      'input.tables.1.rows',
      'input.tables.1.fields.0.max_length',
    ]);
  });

  it('refuses work over max_work (GENQ_GENERATOR_LIMITS), even when the output is small', () => {
    const settings = z.object(limitsEnvShape).parse({
      GENQ_GENERATOR_LIMITS: '{"test-data":{"max_work":1000000}}',
    });
    const limited = createGeneratorRegistry([testDataGenerator], settings);
    expect(limited.limits('test-data').maxWork).toBe(1_000_000);
    const error = refusal(
      { rows: 100_000, fields: [{ name: 'p', type: 'pattern', pattern: '((a?){30}){30}' }] },
      limited,
    );
    expect(error.details.map((d) => d.path)).toEqual(['input.rows', 'input.fields.0.pattern']);
    expect(error.details[0]?.message).toMatch(/max_work/);
  });

  it('accepts ordinary inputs', () => {
    expect(() =>
      registry.parseInput('test-data', {
        rows: 300_000,
        format: 'json',
        fields: [
          { name: 'id', type: 'uuid' },
          { name: 'name', type: 'name' },
          { name: 'email', type: 'email', unique: true },
          { name: 'code', type: 'pattern', pattern: '[A-Z]{3}-\\d{4}' },
          { name: 'bio', type: 'text', max_sentences: 3 },
        ],
      }),
    ).not.toThrow();
  });
});

describe('the worst case bounds what the generator writes', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });
  const logger = { info() {}, warn() {}, error() {}, debug() {} } as unknown as Logger;

  async function written(raw: unknown): Promise<{ bytes: number; worst: number }> {
    const dir = await mkdtemp(join(tmpdir(), 'genq-worst-'));
    dirs.push(dir);
    const output: OutputWriter = {
      createStream: (name) => createWriteStream(join(dir, name)),
      writeFile: (name, data) => writeFile(join(dir, name), data),
    };
    const input = registry.parseInput('test-data', raw) as Parameters<
      typeof testDataGenerator.run
    >[0];
    await testDataGenerator.run(input, {
      jobId: 'job-1',
      attempt: 1,
      signal: new AbortController().signal,
      progress: () => undefined,
      output,
      logger,
    });
    let bytes = 0;
    for (const name of await readdir(dir)) bytes += (await stat(join(dir, name))).size;
    return { bytes, worst: testDataGenerator.worstCase!(input).outputBytes };
  }

  const fields = [
    { name: 'id', type: 'uuid' },
    { name: 'n', type: 'integer', min: -5_000_000, max: 5 },
    { name: 'x', type: 'number', min: -1e9, max: 1e9, decimals: 6 },
    { name: 'b', type: 'boolean' },
    { name: 's', type: 'string', min_length: 30, max_length: 30, nullable: 0.5 },
    { name: 'full', type: 'name', unique: true },
    { name: 'first_name', type: 'first_name' },
    { name: 'email', type: 'email', unique: true },
    { name: 'phone', type: 'phone' },
    { name: 'address', type: 'address' },
    { name: 'city', type: 'city' },
    { name: 'company', type: 'company' },
    { name: 'url', type: 'url', unique: true },
    { name: 'sentence', type: 'sentence', min_words: 20, max_words: 20 },
    { name: 'text', type: 'text', min_sentences: 3, max_sentences: 3 },
    { name: 'd', type: 'date' },
    { name: 'dt', type: 'datetime' },
    { name: 'e', type: 'enum', values: ['a"b', "it's", 'x,y', 42, true] },
    { name: 'p', type: 'pattern', pattern: '"{5}\\x01{3}[a-z\'\\\\]{10}(,|\\n)+' },
  ];

  it.each(['csv', 'json', 'ndjson', 'sql'])('rows in %s', async (format) => {
    for (const locale of ['en', 'de', 'ja', 'ru']) {
      const { bytes, worst } = await written({ rows: 300, format, locale, seed: 5, fields });
      expect(bytes).toBeLessThanOrEqual(worst);
    }
  });

  it.each(['csv', 'json', 'ndjson'])('cases in %s', async (format) => {
    const { bytes, worst } = await written({ rows: 10, format, mode: 'cases', seed: 5, fields });
    expect(bytes).toBeLessThanOrEqual(worst);
  });

  it('foundation pools stay within POOL_MAX_BYTES (a sample of locales and seeds)', async () => {
    for (const locale of ['en', 'de', 'fr', 'ja', 'zh_CN', 'ru', 'ar', 'vi', 'el', 'th'] as const) {
      const faker = await loadFaker(locale);
      const pools = await buildPools(new Set(POOL_NAMES), {
        faker,
        fallbackFaker: () => loadFaker('en'),
        seed: 11,
        signal: new AbortController().signal,
      });
      for (const [name, values] of Object.entries(pools)) {
        const bound = (POOL_MAX_BYTES as Record<string, number>)[name] ?? 32;
        for (const value of values ?? []) {
          // Escaped as JSON would, and with SQL's doubled quotes.
          const bytes =
            Buffer.byteLength(JSON.stringify(value)) - 2 + (value.match(/'/g)?.length ?? 0);
          if (bytes > bound)
            throw new Error(`${locale} ${name}: "${value}" is ${bytes} bytes > ${bound}`);
        }
      }
    }
  }, 60_000);
});

it('keeps the per-value limit consistent with the schema', () => {
  expect(() =>
    compilePattern('a{1000}', { maxLength: MAX_PATTERN_VALUE_LENGTH, maxSteps: 1e6 }),
  ).not.toThrow();
  expect(() => compilePattern('a{1000}', { maxLength: 999, maxSteps: 1e6 })).toThrow(
    PatternSyntaxError,
  );
});
