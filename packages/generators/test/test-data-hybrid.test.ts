import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import winston from 'winston';
import { ValidationError, type WorkingStage } from '@genq/core';
import type { OutputWriter } from '../src/generator.ts';
import { createGeneratorRegistry } from '../src/registry.ts';
import { createTestDataGenerator } from '../src/test-data/index.ts';
import type { EnhanceSettings } from '../src/test-data/index.ts';
// Imported by path: the package index also loads the database and stack helpers.
import {
  fakeChatCompletion,
  startFakeOpenAi,
  type FakeOpenAi,
  type FakeStep,
} from '../../test-utils/src/fake-openai.ts';

const dirs: string[] = [];
const servers: FakeOpenAi[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const silentLogger = winston.createLogger({ silent: true });

interface ProgressEvent {
  stage: WorkingStage;
  percent: number;
  message: string | undefined;
}

async function fake(steps: FakeStep[]): Promise<FakeOpenAi> {
  const server = await startFakeOpenAi(steps);
  servers.push(server);
  return server;
}

function settingsFor(server: FakeOpenAi | undefined, extra: EnhanceSettings = {}): EnhanceSettings {
  return {
    llm: server
      ? {
          baseUrl: server.baseUrl,
          apiKey: 'sk-test-key',
          defaultModel: 'fake/model',
          baseDelayMs: 1,
          maxDelayMs: 5,
          sleep: async () => undefined,
        }
      : undefined,
    timeoutMs: 2_000,
    maxRetries: 2,
    ...extra,
  };
}

async function runJob(
  settings: EnhanceSettings,
  raw: unknown,
  signal: AbortSignal = new AbortController().signal,
  onProgress?: (event: ProgressEvent) => void,
) {
  const dir = await mkdtemp(join(tmpdir(), 'genq-hybrid-'));
  dirs.push(dir);
  const output: OutputWriter = {
    createStream: (name) => createWriteStream(join(dir, name)),
    writeFile: (name, data) => writeFile(join(dir, name), data),
  };
  const progress: ProgressEvent[] = [];
  const generator = createTestDataGenerator(settings);
  const input = generator.input.parse(raw);
  const summary = await generator.run(input, {
    jobId: 'job-hybrid',
    attempt: 1,
    signal,
    progress: (stage, percent, message) => {
      const event = { stage, percent, message };
      progress.push(event);
      onProgress?.(event);
    },
    output,
    logger: silentLogger,
  });
  const text = (name: string) => readFile(join(dir, name), 'utf8');
  const bytes = (name: string) => readFile(join(dir, name));
  const metadata = async () => JSON.parse(await text('metadata.json')) as Record<string, unknown>;
  const rows = async (name: string) => JSON.parse(await text(name)) as Record<string, unknown>[];
  return { dir, summary, progress, text, bytes, metadata, rows };
}

const PRODUCTS = [
  'Trailblazer GTX Hiking Boot',
  'Summit 45L Backpack',
  'Fjord Down Parka',
  'Ridge Merino Base Layer',
  'Glacier Trekking Poles',
  'Aurora 2-Person Tent',
  'Tundra Sleeping Bag -10°C',
];
const CATEGORIES = ['Footwear', 'Backpacks', 'Outerwear', 'Base layers', 'Camping', 'Climbing'];

const shopInput = (extra: Record<string, unknown> = {}) => ({
  table: 'products',
  rows: 500,
  seed: 7,
  format: 'json',
  fields: [
    { name: 'id', type: 'uuid' },
    { name: 'product_name', type: 'product_name' },
    { name: 'category', type: 'string', min_length: 3, max_length: 30 },
    { name: 'buyer', type: 'name' },
    { name: 'email', type: 'email' },
    { name: 'price', type: 'number', min: 1, max: 900 },
  ],
  enhance: true,
  domain: 'an outdoor sports shop',
  ...extra,
});

const goodReply = (): FakeStep => ({
  body: fakeChatCompletion(
    JSON.stringify({ 'products.product_name': PRODUCTS, 'products.category': CATEGORIES }),
  ),
});

type Enhancement = {
  requested: boolean;
  applied: boolean;
  reason?: string;
  fields: { table: string; field: string; source: string; values: number }[];
  skipped: { table: string; field: string; reason: string }[];
  pools: Record<string, string[]>;
  model?: string;
  attempts?: number;
};

const enhancementOf = async (job: { metadata(): Promise<Record<string, unknown>> }) =>
  (await job.metadata()).enhancement as Enhancement;

const STAGES: WorkingStage[] = ['loading_model', 'encoding_prompt', 'generating', 'saving'];

function expectForward(progress: ProgressEvent[]): void {
  let last = { stage: 0, percent: 0 };
  for (const event of progress) {
    const stage = STAGES.indexOf(event.stage);
    expect(stage).toBeGreaterThanOrEqual(last.stage);
    expect(event.percent).toBeGreaterThanOrEqual(last.percent);
    expect(event.percent).toBeLessThanOrEqual(100);
    last = { stage, percent: event.percent };
  }
}

describe('test-data hybrid mode: a usable reply', () => {
  it('samples product names and categories from the LLM pools, in both phases of progress', async () => {
    const server = await fake([goodReply()]);
    const job = await runJob(settingsFor(server), shopInput());

    const rows = await job.rows('products.json');
    expect(rows).toHaveLength(500);
    const names = new Set(rows.map((r) => r.product_name));
    const categories = new Set(rows.map((r) => r.category));
    expect([...names].every((n) => PRODUCTS.includes(n as string))).toBe(true);
    expect(names.size).toBe(PRODUCTS.length);
    expect([...categories].every((c) => CATEGORIES.includes(c as string))).toBe(true);
    // Fields the model was not asked about keep their own values.
    expect(rows.every((r) => typeof r.email === 'string' && (r.email as string).includes('@')));

    // One request, to the configured model, naming the fields by key, with the domain.
    expect(server.requests).toHaveLength(1);
    const body = server.requests[0]?.body as {
      model: string;
      messages: { role: string; content: string }[];
      max_tokens: number;
    };
    expect(body.model).toBe('fake/model');
    expect(body.max_tokens).toBeGreaterThan(0);
    const prompt = body.messages.map((m) => m.content).join('\n');
    expect(prompt).toContain('"products.product_name"');
    expect(prompt).toContain('"products.category"');
    expect(prompt).toContain('an outdoor sports shop');
    expect(prompt).not.toContain('"products.email"');
    expect(prompt).not.toContain('"products.buyer"');

    const enhancement = await enhancementOf(job);
    expect(enhancement).toMatchObject({
      requested: true,
      applied: true,
      model: 'fake/model',
      attempts: 1,
      domain: 'an outdoor sports shop',
    });
    expect(enhancement.reason).toBeUndefined();
    expect(enhancement.fields).toEqual([
      { table: 'products', field: 'product_name', source: 'llm', values: PRODUCTS.length },
      { table: 'products', field: 'category', source: 'llm', values: CATEGORIES.length },
    ]);
    expect(enhancement.pools).toEqual({
      'products.product_name': PRODUCTS,
      'products.category': CATEGORIES,
    });
    // The stored summary names the pools; metadata.json holds them.
    expect(job.summary?.metadata?.enhancement).toMatchObject({
      applied: true,
      pools: ['products.product_name', 'products.category'],
    });

    expectForward(job.progress);
    const phase = (stage: WorkingStage) => job.progress.filter((e) => e.stage === stage);
    expect(phase('loading_model').every((e) => e.percent <= 5)).toBe(true);
    const asking = phase('encoding_prompt');
    expect(asking.length).toBeGreaterThan(0);
    expect(asking.every((e) => e.percent >= 5 && e.percent <= 15)).toBe(true);
    expect(asking.at(-1)?.message).toContain('using value pools from fake/model for 2 of 2 fields');
    const generating = phase('generating');
    expect(generating[0]!.percent).toBeGreaterThanOrEqual(15);
    expect(generating.at(-1)).toMatchObject({ percent: 99, message: '500 / 500 rows' });
    expect(job.progress.at(-1)).toMatchObject({ stage: 'saving', percent: 100 });
  });

  it('gives the same bytes for the same reply and seed, and value_pools repeats the run without the LLM', async () => {
    const server = await fake([goodReply(), goodReply()]);
    const [a, b] = await Promise.all([
      runJob(settingsFor(server), shopInput()),
      runJob(settingsFor(server), shopInput()),
    ]);
    expect((await a.bytes('products.json')).equals(await b.bytes('products.json'))).toBe(true);

    const pools = (await enhancementOf(a)).pools;
    const again = await runJob(
      settingsFor(undefined),
      shopInput({ enhance: false, domain: undefined, value_pools: pools }),
    );
    expect((await again.bytes('products.json')).equals(await a.bytes('products.json'))).toBe(true);
    expect(await enhancementOf(again)).toMatchObject({
      requested: false,
      applied: false,
      fields: [
        { table: 'products', field: 'product_name', source: 'input', values: PRODUCTS.length },
        { table: 'products', field: 'category', source: 'input', values: CATEGORIES.length },
      ],
    });
    expect(server.requests).toHaveLength(2);
  });

  it('picks fields by type and name, and asks only about those named in enhance_fields', async () => {
    const fields = [
      { name: 'id', type: 'uuid' },
      { name: 'first_name', type: 'first_name' },
      { name: 'employer', type: 'company' },
      { name: 'role', type: 'job_title' },
      { name: 'department_code', type: 'string' },
      { name: 'review_text', type: 'sentence' },
      { name: 'token', type: 'string' },
      { name: 'city', type: 'city' },
      { name: 'email', type: 'email' },
    ];
    const keys = (server: FakeOpenAi) => {
      const body = server.requests[0]?.body as { messages: { content: string }[] };
      const prompt = body.messages.map((m) => m.content).join('\n');
      return [...prompt.matchAll(/^- "(staff\.\w+)"/gm)].map((m) => m[1]);
    };
    const base = { table: 'staff', rows: 20, seed: 1, fields, enhance: true };
    const auto = await fake([{ body: fakeChatCompletion('{}') }]);
    await runJob(settingsFor(auto), base);
    expect(keys(auto)).toEqual([
      'staff.employer',
      'staff.role',
      'staff.department_code',
      'staff.review_text',
      'staff.city',
    ]);

    const named = await fake([{ body: fakeChatCompletion('{}') }]);
    await runJob(settingsFor(named), { ...base, enhance_fields: ['first_name', 'staff.token'] });
    expect(keys(named)).toEqual(['staff.first_name', 'staff.token']);
  });

  it('reads a fenced reply and bare field names, and cleans what it keeps', async () => {
    const messy = [
      'Trailblazer Boot',
      'trailblazer boot',
      '  Summit\u0000 Pack\t45L  ',
      '=HYPERLINK("http://evil.example")',
      '@import',
      'Fjord\u202e Parka',
      42,
      null,
      'x'.repeat(200),
      'Ridge Layer',
      'Glacier Poles',
      'Aurora Tent',
    ];
    const content = [
      'Here you go:',
      '```json',
      JSON.stringify({ product_name: messy, category: ['a'] }),
      '```',
    ].join('\n');
    const server = await fake([{ body: fakeChatCompletion(content) }]);
    const job = await runJob(settingsFor(server), shopInput());
    const enhancement = await enhancementOf(job);
    expect(enhancement.pools['products.product_name']).toEqual([
      'Trailblazer Boot',
      'Summit Pack 45L',
      'Fjord Parka',
      'Ridge Layer',
      'Glacier Poles',
      'Aurora Tent',
    ]);
    // 'a' is shorter than the field's min_length 3, leaving no usable category.
    expect(enhancement.skipped).toEqual([
      {
        table: 'products',
        field: 'category',
        reason: 'the LLM reply: fewer than 5 usable values',
      },
    ]);
    const rows = await job.rows('products.json');
    expect(rows.every((r) => /^[A-Za-z0-9]+$/.test(r.category as string))).toBe(true);
  });
});

describe('test-data hybrid mode: falls back to the foundation data', () => {
  const plain = async () => {
    const job = await runJob(
      settingsFor(undefined),
      shopInput({ enhance: false, domain: undefined }),
    );
    return job.bytes('products.json');
  };

  const expectFallback = async (
    job: Awaited<ReturnType<typeof runJob>>,
    reason: RegExp,
  ): Promise<void> => {
    expect((await job.bytes('products.json')).equals(await plain())).toBe(true);
    const enhancement = await enhancementOf(job);
    expect(enhancement).toMatchObject({ requested: true, applied: false, fields: [], pools: {} });
    expect(enhancement.reason).toMatch(reason);
    const said = job.progress.find((e) => e.message?.startsWith('LLM enhancement not applied'));
    expect(said?.message).toMatch(reason);
    expect(said?.message).toContain('using the foundation data');
    expectForward(job.progress);
    expect(job.progress.at(-1)).toMatchObject({ stage: 'saving', percent: 100 });
  };

  it('when the provider answers an HTML 502 page on every attempt', async () => {
    const server = await fake(['html-502', 'html-502', 'html-502']);
    const job = await runJob(settingsFor(server), shopInput());
    await expectFallback(job, /failed after 3 attempts: provider answered 502 with text\/html/);
    expect(server.requests).toHaveLength(3);
  });

  it('when the provider does not answer in time', async () => {
    const server = await fake(['hang', 'hang']);
    const started = performance.now();
    const job = await runJob(settingsFor(server, { timeoutMs: 200, maxRetries: 1 }), shopInput());
    await expectFallback(job, /no complete answer within 200 ms/);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(server.requests).toHaveLength(2);
  });

  it('when the reply is not JSON', async () => {
    const server = await fake([
      { body: fakeChatCompletion('Sure! Outdoor products: boots, tents and jackets.') },
    ]);
    const job = await runJob(settingsFor(server), shopInput());
    await expectFallback(job, /the reply was not a JSON object: Sure! Outdoor products/);
    expect(server.requests).toHaveLength(1);
  });

  it('when the JSON holds nothing usable', async () => {
    const server = await fake([
      {
        body: fakeChatCompletion(
          JSON.stringify({ 'products.product_name': 42, 'products.category': [1, 2, 3] }),
        ),
      },
    ]);
    const job = await runJob(settingsFor(server), shopInput());
    await expectFallback(job, /no usable values for the requested fields/);
    expect((await enhancementOf(job)).skipped).toEqual([
      {
        table: 'products',
        field: 'product_name',
        reason: 'the LLM reply: not an array of strings',
      },
      { table: 'products', field: 'category', reason: 'the LLM reply: fewer than 5 usable values' },
    ]);
  });

  it('when the LLM is not configured, or has no model', async () => {
    const job = await runJob(settingsFor(undefined), shopInput());
    await expectFallback(job, /LLM is not configured \(LLM_BASE_URL is not set\)/);

    const server = await fake([]);
    const settings = settingsFor(server);
    const noModel = await runJob(
      { ...settings, llm: { ...settings.llm, defaultModel: undefined } },
      shopInput(),
    );
    await expectFallback(noModel, /LLM_DEFAULT_MODEL is not set/);
    expect(server.requests).toHaveLength(0);
  });

  it('still stops at once when the job is cancelled while waiting for the LLM', async () => {
    const server = await fake(['hang']);
    const controller = new AbortController();
    const reason = new Error('cancelled while asking');
    let abortedAt = 0;
    const run = runJob(
      settingsFor(server, { timeoutMs: 30_000 }),
      shopInput(),
      controller.signal,
      (event) => {
        if (
          event.stage === 'encoding_prompt' &&
          event.message?.startsWith('asking') &&
          !abortedAt
        ) {
          abortedAt = performance.now();
          setTimeout(() => controller.abort(reason), 50);
        }
      },
    );
    await expect(run).rejects.toBe(reason);
    expect(performance.now() - abortedAt).toBeLessThan(1_000);
    const dir = dirs.at(-1) as string;
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('test-data hybrid mode: input checks', () => {
  const registry = createGeneratorRegistry([createTestDataGenerator()]);
  const problems = (input: unknown): Record<string, string> => {
    try {
      registry.parseInput('test-data', input);
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return Object.fromEntries((error as ValidationError).details.map((d) => [d.path, d.message]));
    }
    throw new Error('expected a validation error');
  };

  it('leaves enhance off by default and accepts the options', () => {
    expect(
      registry.parseInput('test-data', shopInput({ enhance: undefined, domain: undefined })),
    ).not.toHaveProperty('enhance');
    expect(
      registry.parseInput(
        'test-data',
        shopInput({ enhance_fields: ['product_name', 'products.category'] }),
      ),
    ).toMatchObject({ enhance: true, enhance_fields: ['product_name', 'products.category'] });
  });

  it('names fields that do not exist or cannot take a pool, and options without enhance', () => {
    expect(
      problems(shopInput({ enhance_fields: ['nope', 'email', 'other.product_name'] })),
    ).toEqual({
      'input.enhance_fields.0': 'no field "nope" in this job',
      'input.enhance_fields.1': expect.stringContaining(
        '"products.email" has type email; value pools replace only',
      ),
      'input.enhance_fields.2': 'no field "other.product_name" in this job',
    });
    expect(problems(shopInput({ enhance: false, enhance_fields: ['product_name'] }))).toEqual({
      'input.enhance_fields': 'needs enhance: true',
      'input.domain': 'needs enhance: true',
    });
    expect(problems(shopInput({ enhance_fields: ['bad name'] }))).toEqual({
      'input.enhance_fields.0': 'name a field as "<table>.<field>" or "<field>"',
    });
  });

  it('checks value_pools against their fields, and the domain for control characters', () => {
    expect(
      problems(
        shopInput({
          domain: 'shop\u0007',
          value_pools: { category: ['ok value', 'xy'], product_name: ['bad\nvalue'] },
        }),
      ),
    ).toEqual({
      'input.domain': 'must not hold control or format characters',
      'input.value_pools.product_name.0': 'must not hold control or format characters',
      'input.value_pools.category.1':
        '"xy" has 2 characters; the field allows 3–30 (field "products.category")',
    });
    expect(
      problems(shopInput({ value_pools: { email: ['a@b.example'], 'products.nope': ['x'] } })),
    ).toEqual({
      'input.value_pools.email': expect.stringContaining('has type email'),
      'input.value_pools.products.nope': 'no field "products.nope" in this job',
    });
  });
});
