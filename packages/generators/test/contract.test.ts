import { afterAll, describe, expect, it } from '@jest/globals';
import { createWriteStream, mkdirSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import winston from 'winston';
import { ValidationError, WORKING_STAGES, type WorkingStage } from '@genq/core';
import { createBuiltinGenerators } from '../src/builtin.ts';
import type { AnyGenerator, OutputWriter } from '../src/generator.ts';
import { createGeneratorRegistry } from '../src/registry.ts';
import { safeRelativePath } from '../src/safe-path.ts';
// Imported by path: the package index also loads the database and stack helpers.
import {
  fakeChatCompletion,
  startFakeOpenAi,
  type FakeRequest,
} from '../../test-utils/src/fake-openai.ts';

/**
 * The contract every generator keeps, run against every generator genq ships, configured
 * as a worker would configure them (the LLM on a local fake server, media generators with
 * their offline providers). A new generator must add its fixture below.
 */

interface Fixture {
  /** A small input the generator completes in a second or two. */
  valid: Record<string, unknown>;
  /** An input its schema refuses. */
  invalid: unknown;
}

const FIXTURES: Record<string, Fixture> = {
  'test-data': {
    valid: {
      table: 'products',
      rows: 5000,
      seed: 3,
      fields: [
        { name: 'id', type: 'uuid' },
        { name: 'product_name', type: 'product_name' },
        { name: 'category', type: 'string' },
        { name: 'price', type: 'number', min: 1, max: 100 },
      ],
      enhance: true,
    },
    invalid: { rows: 0, fields: [{ name: 'id', type: 'no-such-type' }] },
  },
  llm: {
    valid: { prompt: 'A tiny app', files: true, max_tokens: 500 },
    invalid: { prompt: 42 },
  },
  noop: {
    valid: { steps: 4, sleep_ms: 200, write_file: true },
    invalid: { sleep_ms: -1 },
  },
  image: {
    valid: { prompt: 'a red circle on a blue square', size: '256x256', count: 1, seed: 1 },
    invalid: { prompt: '', count: 0 },
  },
  music: {
    valid: { prompt: 'calm piano at 90 bpm', duration: 2, seed: 1 },
    invalid: { prompt: '', duration: 0 },
  },
};

// The fake answers the test-data generator's request for value pools with pools for the
// keys it asked about, and every other request with a small app whose file names include
// an attempt to leave the output folder.
const APP_REPLY = [
  '### src/app.ts',
  '```ts',
  'export const answer = 42;',
  '```',
  '### ../../escape.txt',
  '```',
  'should never be written outside',
  '```',
  '### /etc/passwd',
  '```',
  'root:x:0:0',
  '```',
].join('\n');

function answer(request: FakeRequest) {
  const body = request.body as { messages?: { role: string; content: string }[] } | undefined;
  const prompt = (body?.messages ?? []).map((m) => m.content).join('\n');
  if (prompt.includes('sample values for test databases')) {
    const keys = [...prompt.matchAll(/^- "([\w.]+)"/gm)].map((m) => m[1] as string);
    const pools = Object.fromEntries(
      keys.map((key) => [key, Array.from({ length: 8 }, (_, i) => `Domain value ${i + 1}`)]),
    );
    return { body: fakeChatCompletion(JSON.stringify(pools)) };
  }
  return { body: fakeChatCompletion(APP_REPLY) };
}

const server = await startFakeOpenAi(answer);
const generators: AnyGenerator[] = createBuiltinGenerators({
  llm: {
    baseUrl: server.baseUrl,
    apiKey: 'sk-contract-test',
    defaultModel: 'fake/model',
    timeoutMs: 5_000,
    maxRetries: 1,
    baseDelayMs: 1,
    maxDelayMs: 5,
    sleep: async () => undefined,
  },
});
const registry = createGeneratorRegistry(generators);

const roots: string[] = [];
afterAll(async () => {
  await server.close();
  await Promise.all(roots.map((dir) => rm(dir, { recursive: true, force: true })));
});

const silentLogger = winston.createLogger({ silent: true });

function fixtureOf(name: string): Fixture {
  const fixture = FIXTURES[name];
  if (!fixture) {
    throw new Error(
      `generator "${name}" has no contract fixture: add a small valid and an invalid input for it ` +
        'to FIXTURES in packages/generators/test/contract.test.ts',
    );
  }
  return fixture;
}

interface Write {
  name: string;
  at: number;
}

/** Files under `dir`, with their sizes. */
async function snapshot(dir: string): Promise<Map<string, number>> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  const files = new Map<string, number>();
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    files.set(relative(dir, file), (await stat(file)).size);
  }
  return files;
}

/**
 * A writer that checks nothing itself (the worker's does): each name lands where path.join
 * puts it under `<sandbox>/a/b/out`, so an escape is still inside the sandbox, visible.
 */
async function sandbox() {
  const root = await mkdtemp(join(tmpdir(), 'genq-contract-'));
  roots.push(root);
  const out = join(root, 'a', 'b', 'out');
  await mkdir(out, { recursive: true });
  const writes: Write[] = [];
  const target = async (name: string) => {
    writes.push({ name, at: performance.now() });
    const file = join(out, name);
    await mkdir(dirname(file), { recursive: true });
    return file;
  };
  const output: OutputWriter = {
    createStream(name) {
      writes.push({ name, at: performance.now() });
      const file = join(out, name);
      mkdirSync(dirname(file), { recursive: true });
      return createWriteStream(file);
    },
    writeFile: async (name, data) => {
      await writeFile(await target(name), data);
    },
  };
  return { root, out, writes, output };
}

async function run(
  generator: AnyGenerator,
  input: unknown,
  options: { onProgress?: (stage: WorkingStage, percent: number) => void; signal?: AbortSignal },
) {
  const box = await sandbox();
  const progress: { stage: WorkingStage; percent: number; message?: string }[] = [];
  const promise = Promise.resolve().then(() =>
    generator.run(input, {
      jobId: '0190a5b4-7c6d-7e8f-9a0b-1c2d3e4f5a6b',
      attempt: 1,
      signal: options.signal ?? new AbortController().signal,
      progress: (stage, percent, message) => {
        progress.push({ stage, percent, message });
        options.onProgress?.(stage, percent);
      },
      output: box.output,
      logger: silentLogger,
    }),
  );
  return { ...box, progress, promise };
}

describe.each(generators.map((g) => [g.name, g] as const))(
  'generator contract: %s',
  (name, generator) => {
    it('has a contract fixture', () => {
      expect(() => fixtureOf(name)).not.toThrow();
    });

    it('describes itself: a description, a JSON Schema of its input, a finite positive estimate', () => {
      expect(typeof generator.description).toBe('string');
      expect(generator.description.trim().length).toBeGreaterThan(20);
      const info = registry.describe().find((g) => g.name === name);
      expect(info?.input_schema).toMatchObject({ type: 'object' });
      expect(
        Object.keys((info?.input_schema as { properties?: object }).properties ?? {}).length,
      ).toBeGreaterThan(0);
      const input = registry.parseInput(name, fixtureOf(name).valid);
      const seconds = generator.estimateSeconds(input);
      expect(Number.isFinite(seconds)).toBe(true);
      expect(seconds).toBeGreaterThan(0);
    });

    it('refuses a bad input with a ValidationError before any work', async () => {
      const box = await sandbox();
      const before = server.requests.length;
      const fixture = fixtureOf(name);
      for (const bad of [
        fixture.invalid,
        null,
        [],
        'text',
        { ...fixture.valid, not_an_input_field: true },
      ]) {
        let error: unknown;
        try {
          registry.parseInput(name, bad);
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(ValidationError);
        const details = (error as ValidationError).details;
        expect(details.length).toBeGreaterThan(0);
        for (const detail of details) expect(detail.path).toMatch(/^input/);
      }
      expect(box.writes).toEqual([]);
      expect((await snapshot(box.out)).size).toBe(0);
      expect(server.requests.length).toBe(before);
    });

    it('declares a worst case that bounds what it writes, finite and passing its limits', async () => {
      expect(typeof generator.worstCase).toBe('function');
      const input = registry.parseInput(name, fixtureOf(name).valid);
      const worst = generator.worstCase!(input);
      expect(Number.isSafeInteger(worst.outputBytes)).toBe(true);
      expect(Number.isSafeInteger(worst.work)).toBe(true);
      expect(worst.outputBytes).toBeLessThanOrEqual(registry.limits(name).maxOutputBytes);
      expect(worst.work).toBeLessThanOrEqual(registry.limits(name).maxWork);
      const job = await run(generator, input, {});
      await job.promise;
      const written = [...(await snapshot(job.out)).values()].reduce((sum, n) => sum + n, 0);
      expect(written).toBeLessThanOrEqual(worst.outputBytes);
    });

    it('reports progress forward only: stages in order, percent never going back', async () => {
      const job = await run(generator, registry.parseInput(name, fixtureOf(name).valid), {});
      await job.promise;
      expect(job.progress.length).toBeGreaterThan(0);
      let last = { stage: 0, percent: 0 };
      for (const event of job.progress) {
        const stage = WORKING_STAGES.indexOf(event.stage);
        expect(stage).toBeGreaterThanOrEqual(0);
        expect(Number.isFinite(event.percent)).toBe(true);
        expect(event.percent).toBeGreaterThanOrEqual(0);
        expect(event.percent).toBeLessThanOrEqual(100);
        if (stage < last.stage || event.percent < last.percent) {
          throw new Error(
            `progress went back: ${WORKING_STAGES[last.stage]} ${last.percent}% → ${event.stage} ${event.percent}%`,
          );
        }
        last = { stage, percent: event.percent };
      }
    });

    it('writes only safe file names, inside its output folder', async () => {
      const job = await run(generator, registry.parseInput(name, fixtureOf(name).valid), {});
      await job.promise;
      for (const { name: file } of job.writes) {
        expect(() => safeRelativePath(file)).not.toThrow();
        expect(resolve(job.out, file).startsWith(job.out + sep)).toBe(true);
      }
      // Nothing landed beside the output folder either.
      const everything = await snapshot(job.root);
      for (const file of everything.keys()) {
        expect(file.startsWith(join('a', 'b', 'out') + sep)).toBe(true);
      }
    });

    it('stops promptly when its signal aborts after the first progress report, writing nothing more', async () => {
      const controller = new AbortController();
      const reason = new Error(`contract: cancel ${name}`);
      let abortedAt = 0;
      const job = await run(generator, registry.parseInput(name, fixtureOf(name).valid), {
        signal: controller.signal,
        onProgress: () => {
          if (abortedAt !== 0) return;
          abortedAt = performance.now();
          controller.abort(reason);
        },
      });
      let error: unknown;
      try {
        await job.promise;
      } catch (caught) {
        error = caught;
      }
      const settledAt = performance.now();
      expect(abortedAt).toBeGreaterThan(0);
      expect(error).toBeDefined();
      const cause = (error as { cause?: unknown }).cause;
      const isAbort =
        error === reason || cause === reason || (error as Error).name === 'AbortError';
      expect(isAbort).toBe(true);
      expect(settledAt - abortedAt).toBeLessThan(1_000);
      expect(job.writes.filter((w) => w.at > abortedAt)).toEqual([]);
      const atSettle = await snapshot(job.out);
      await new Promise((done) => setTimeout(done, 300));
      expect(await snapshot(job.out)).toEqual(atSettle);
    });
  },
);

describe('generator contract fixtures', () => {
  it('names the generators genq ships', () => {
    expect(registry.names()).toEqual(expect.arrayContaining(['test-data', 'llm', 'noop']));
  });
});
