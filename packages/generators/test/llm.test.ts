import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import winston from 'winston';
import { JobCancelledError, UnrecoverableGenerationError, type WorkingStage } from '@genq/core';
import type { OutputWriter } from '../src/generator.ts';
import { createBuiltinGenerators, builtinGenerators } from '../src/builtin.ts';
import { createGeneratorRegistry } from '../src/registry.ts';
import { createLlmGenerator, llmGenerator, type LlmSettings } from '../src/llm/index.ts';
// Imported by path: the package index also loads the database and stack helpers.
import {
  fakeChatCompletion,
  startFakeOpenAi,
  type FakeOpenAi,
  type FakeStep,
} from '../../test-utils/src/fake-openai.ts';

const API_KEY = 'sk-or-test-abcdefghijklmnopqrstuvwxyz';

const roots: string[] = [];
const servers: FakeOpenAi[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
afterAll(async () => {
  await Promise.all(roots.map((dir) => rm(dir, { recursive: true, force: true })));
});

const silentLogger = winston.createLogger({ silent: true });

async function fake(steps: FakeStep[]): Promise<FakeOpenAi> {
  const server = await startFakeOpenAi(steps);
  servers.push(server);
  return server;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/**
 * Runs the generator into `<sandbox>/a/b/out`, with a writer that does no checking of its
 * own (the worker's does): whatever the generator asks for lands where path.join puts it,
 * still inside the sandbox, so the test can see any escape.
 */
async function runLlm(
  settings: LlmSettings,
  raw: unknown,
  signal: AbortSignal = new AbortController().signal,
) {
  const sandbox = await mkdtemp(join(tmpdir(), 'genq-llm-'));
  roots.push(sandbox);
  const out = join(sandbox, 'a', 'b', 'out');
  await mkdir(out, { recursive: true });
  const written: string[] = [];
  const output: OutputWriter = {
    createStream: (name) => {
      written.push(name);
      return createWriteStream(join(out, name));
    },
    writeFile: async (name, data) => {
      written.push(name);
      await mkdir(dirname(join(out, name)), { recursive: true });
      await writeFile(join(out, name), data);
    },
  };
  const progress: { stage: WorkingStage; percent: number; message?: string }[] = [];
  const generator = createLlmGenerator(settings);
  const input = generator.input.parse(raw);
  const result = async () => {
    const summary = await generator.run(input, {
      jobId: 'job-1',
      attempt: 1,
      signal,
      progress: (stage, percent, message) => progress.push({ stage, percent, message }),
      output,
      logger: silentLogger,
    });
    return summary ?? undefined;
  };
  const text = (name: string) => readFile(join(out, name), 'utf8');
  const metadata = async () => JSON.parse(await text('metadata.json')) as Record<string, unknown>;
  return { sandbox, out, written, progress, run: result, text, metadata };
}

function settingsFor(server: FakeOpenAi, extra: Partial<LlmSettings> = {}): LlmSettings {
  return {
    baseUrl: server.baseUrl,
    apiKey: API_KEY,
    defaultModel: 'default/model',
    timeoutMs: 5_000,
    maxRetries: 2,
    baseDelayMs: 10,
    maxDelayMs: 100,
    sleep: async () => undefined,
    ...extra,
  };
}

const APP_REPLY = [
  'Here is a small app.',
  '',
  '### package.json',
  '```json',
  '{ "name": "app", "type": "module" }',
  '```',
  '',
  '**src/index.ts**',
  '',
  '```ts',
  "import { greet } from './greet.ts';",
  "console.log(greet('world'));",
  '```',
  '',
  'File: src/greet.ts',
  '```ts',
  'export const greet = (name: string) => `hello ${name}`;',
  '```',
  '',
  '```css path=public/style.css',
  'body { margin: 0; }',
  '```',
  '',
  '```html title="public/index.html"',
  '<!doctype html><title>app</title>',
  '```',
  '',
  '```ts test/greet.test.ts',
  "import { greet } from '../src/greet.ts';",
  '```',
  '',
  'Run it:',
  '',
  '```bash',
  'npm start',
  '```',
].join('\n');

describe('llm generator', () => {
  it('writes the reply, the named files and the metadata', async () => {
    const server = await fake([
      {
        body: fakeChatCompletion(APP_REPLY, {
          model: 'openai/gpt-4o-mini-2024',
          usage: { prompt_tokens: 21, completion_tokens: 180, total_tokens: 201 },
        }),
      },
    ]);
    const job = await runLlm(settingsFor(server, { headers: { 'x-title': 'genq' } }), {
      model: 'openai/gpt-4o-mini',
      system: 'You write small apps.',
      prompt: 'A greeting app',
      temperature: 0.2,
      max_tokens: 2000,
      files: true,
    });
    const summary = await job.run();

    const request = server.requests[0];
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request?.headers['x-title']).toBe('genq');
    expect(request?.body).toEqual({
      model: 'openai/gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You write small apps.' },
        { role: 'user', content: 'A greeting app' },
      ],
      temperature: 0.2,
      max_tokens: 2000,
      stream: false,
    });

    expect(await listFiles(job.out)).toEqual([
      'metadata.json',
      'package.json',
      'public/index.html',
      'public/style.css',
      'reply.md',
      'src/greet.ts',
      'src/index.ts',
      'test/greet.test.ts',
    ]);
    expect(await job.text('reply.md')).toBe(APP_REPLY);
    expect(await job.text('src/index.ts')).toBe(
      "import { greet } from './greet.ts';\nconsole.log(greet('world'));\n",
    );
    expect(await job.text('package.json')).toBe('{ "name": "app", "type": "module" }\n');

    const metadata = await job.metadata();
    expect(metadata).toMatchObject({
      generator: 'llm',
      model: 'openai/gpt-4o-mini',
      response_model: 'openai/gpt-4o-mini-2024',
      finish_reason: 'stop',
      usage: { prompt: 21, completion: 180, total: 201 },
      attempts: 1,
      rejected_files: [],
      code_blocks: 7,
    });
    expect(metadata.timings_ms).toMatchObject({
      request: expect.any(Number),
      total: expect.any(Number),
    });
    expect(metadata.files).toContainEqual({ path: 'src/greet.ts', bytes: 56 });
    expect(JSON.stringify(metadata)).not.toContain(API_KEY);
    expect(summary?.metadata).toMatchObject({ model: 'openai/gpt-4o-mini', files: 6 });

    const stages = job.progress.map((p) => p.stage);
    expect(stages[0]).toBe('loading_model');
    expect(stages).toEqual(expect.arrayContaining(['encoding_prompt', 'generating', 'saving']));
    const order = ['loading_model', 'encoding_prompt', 'generating', 'saving'];
    for (let i = 1; i < job.progress.length; i += 1) {
      const [a, b] = [job.progress[i - 1], job.progress[i]];
      expect(order.indexOf(b!.stage)).toBeGreaterThanOrEqual(order.indexOf(a!.stage));
    }
    expect(job.progress.at(-1)).toMatchObject({ stage: 'saving', percent: 100 });
  });

  it('never writes outside the job folder, lists refused names, and completes', async () => {
    const reply = [
      '### ../../etc/passwd',
      '```',
      'root::0:0:root:/root:/bin/bash',
      '```',
      '',
      '**/etc/shadow**',
      '```',
      'root:*:19000:0:99999:7:::',
      '```',
      '',
      '```sh path=../escape.sh',
      'rm -rf /',
      '```',
      '',
      '```txt path="a/\u0007bell.txt"',
      'x',
      '```',
      '',
      '```md file=reply.md',
      'overwrite the reply',
      '```',
      '',
      `\`\`\`ts path=${'d/'.repeat(120)}x.ts`,
      'deep',
      '```',
      '',
      '### src/ok.ts',
      '```ts',
      'export const ok = true;',
      '```',
    ].join('\n');
    const server = await fake([{ body: fakeChatCompletion(reply) }]);
    const job = await runLlm(settingsFor(server), { prompt: 'try to escape', files: true });
    await job.run();

    // Only the job's own folder holds files, and only safe names were ever asked for.
    const everything = await listFiles(job.sandbox);
    expect(everything.every((file) => file.startsWith(join('a', 'b', 'out') + '/'))).toBe(true);
    expect(await listFiles(job.out)).toEqual(['metadata.json', 'reply.md', 'src/ok.ts']);
    for (const name of job.written) {
      expect(resolve(job.out, name).startsWith(job.out + '/')).toBe(true);
      expect(name).not.toMatch(/\.\.|^\//);
    }
    expect(await job.text('reply.md')).toBe(reply);

    const metadata = await job.metadata();
    const rejected = metadata.rejected_files as { name: string; reason: string }[];
    expect(rejected.map((r) => r.name)).toEqual([
      '../../etc/passwd',
      '/etc/shadow',
      '../escape.sh',
      'a/?bell.txt',
      'reply.md',
      `${'d/'.repeat(120)}x.ts`,
    ]);
    for (const entry of rejected) expect(entry.reason).toEqual(expect.any(String));
    expect(rejected[1]?.reason).toContain('relative');
    expect(rejected[4]?.reason).toContain('reserved');
    expect(metadata.files).toEqual([{ path: 'src/ok.ts', bytes: 24 }]);
  });

  it('caps the number of files and keeps the last block of a repeated name', async () => {
    const blocks = Array.from({ length: 5 }, (_, i) => `### f${i}.txt\n\`\`\`\n${i}\n\`\`\``);
    const reply = [...blocks, '### f0.txt\n```\nagain\n```'].join('\n\n');
    const server = await fake([{ body: fakeChatCompletion(reply) }]);
    const job = await runLlm(settingsFor(server, { maxFiles: 3 }), { prompt: 'p', files: true });
    await job.run();
    expect(await listFiles(job.out)).toEqual([
      'f0.txt',
      'f1.txt',
      'f2.txt',
      'metadata.json',
      'reply.md',
    ]);
    expect(await job.text('f0.txt')).toBe('again\n');
    const rejected = (await job.metadata()).rejected_files as { name: string; reason: string }[];
    expect(rejected).toEqual([
      { name: 'f0.txt', reason: 'replaced by a later block with the same name' },
      { name: 'f3.txt', reason: 'more than 3 files in one reply' },
      { name: 'f4.txt', reason: 'more than 3 files in one reply' },
    ]);
  });

  it('writes only the reply without files: true', async () => {
    const server = await fake([{ body: fakeChatCompletion(APP_REPLY) }]);
    const job = await runLlm(settingsFor(server), {
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
        { role: 'user', content: 'an app please' },
      ],
    });
    await job.run();
    expect(await listFiles(job.out)).toEqual(['metadata.json', 'reply.md']);
    expect(server.requests[0]?.body).toMatchObject({ model: 'default/model' });
    expect((server.requests[0]?.body as { messages: unknown[] }).messages).toHaveLength(3);
    const metadata = await job.metadata();
    expect(metadata.rejected_files).toBeUndefined();
  });

  it('survives a flaky provider: HTML 502, dropped body, in-body error, then a reply', async () => {
    const server = await fake([
      'html-502',
      'drop-mid-body',
      { body: { error: { message: 'Upstream error', code: 502 } } },
      { body: fakeChatCompletion('fine') },
    ]);
    const job = await runLlm(settingsFor(server, { maxRetries: 3 }), { prompt: 'p' });
    await job.run();
    expect(await job.text('reply.md')).toBe('fine');
    expect(await job.metadata()).toMatchObject({ attempts: 4 });
    expect(job.progress.some((p) => p.message?.includes('attempt 2 of 4'))).toBe(true);
  });

  it('fails with a retryable error naming the cause when the provider stays down', async () => {
    const server = await fake(['html-502', 'html-502', 'html-502']);
    const job = await runLlm(settingsFor(server), { prompt: 'p' });
    const error = await job.run().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(UnrecoverableGenerationError);
    expect(error?.message).toMatch(/LLM provider request .* failed after 3 attempts/);
    expect(error?.message).toContain('502');
    expect(await listFiles(job.out)).toEqual([]);
  });

  it('fails at once, without retry, when the provider refuses the request', async () => {
    const server = await fake([{ status: 400, body: { error: { message: 'bad model' } } }]);
    const job = await runLlm(settingsFor(server), { model: 'nope', prompt: 'p' });
    await expect(job.run()).rejects.toThrow(UnrecoverableGenerationError);
    await expect(runLlmAgain(server)).rejects.toThrow('bad model');
    expect(server.requests).toHaveLength(2);
  });

  it('keeps a reply cut off at max_tokens, but not its unfinished file', async () => {
    const reply = '### a.ts\n```ts\nexport const a = 1;\n```\n\n### b.ts\n```ts\nexport const b =';
    const server = await fake([{ body: fakeChatCompletion(reply, { finish_reason: 'length' }) }]);
    const job = await runLlm(settingsFor(server), { prompt: 'p', files: true, max_tokens: 20 });
    const summary = await job.run();
    expect(await listFiles(job.out)).toEqual(['a.ts', 'metadata.json', 'reply.md']);
    const metadata = await job.metadata();
    expect(metadata.finish_reason).toBe('length');
    expect(metadata.warnings).toEqual([expect.stringContaining('max_tokens')]);
    expect(metadata.rejected_files).toEqual([
      { name: 'b.ts', reason: expect.stringContaining('not closed') },
    ]);
    expect(summary?.metadata?.warnings).toHaveLength(1);
  });

  it('fails at once when it is not configured', async () => {
    const job = await runLlm({}, { prompt: 'p' });
    await expect(job.run()).rejects.toThrow(UnrecoverableGenerationError);
    await expect(job.run()).rejects.toThrow(
      'LLM is not configured: set LLM_BASE_URL (and LLM_API_KEY)',
    );
    expect(await listFiles(job.out)).toEqual([]);
  });

  it('fails at once when no model is named anywhere', async () => {
    const server = await fake([]);
    const job = await runLlm(settingsFor(server, { defaultModel: undefined }), { prompt: 'p' });
    await expect(job.run()).rejects.toThrow(UnrecoverableGenerationError);
    expect(server.requests).toHaveLength(0);
  });

  it('stops promptly with the cancel reason while waiting for the model', async () => {
    const server = await fake(['hang']);
    const controller = new AbortController();
    const reason = new JobCancelledError();
    const job = await runLlm(
      settingsFor(server, { timeoutMs: 60_000 }),
      { prompt: 'p' },
      controller.signal,
    );
    setTimeout(() => controller.abort(reason), 100);
    const started = Date.now();
    await expect(job.run()).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await listFiles(job.out)).toEqual([]);
  });
});

/** A second run of the same refused request, for its message. */
async function runLlmAgain(server: FakeOpenAi): Promise<unknown> {
  server.enqueue({ status: 400, body: { error: { message: 'bad model' } } });
  const job = await runLlm(settingsFor(server), { model: 'nope', prompt: 'p' });
  return job.run();
}

describe('llm input', () => {
  const parse = (input: unknown) => llmGenerator.input.safeParse(input);

  it('takes exactly one of prompt and messages', () => {
    expect(parse({ prompt: 'p' }).success).toBe(true);
    expect(parse({ messages: [{ role: 'user', content: 'hi' }] }).success).toBe(true);
    expect(parse({}).success).toBe(false);
    expect(parse({ prompt: 'p', messages: [{ role: 'user', content: 'hi' }] }).success).toBe(false);
  });

  it('bounds the parameters and refuses unknown fields (target included)', () => {
    expect(parse({ prompt: 'p', temperature: 2.1 }).success).toBe(false);
    expect(parse({ prompt: 'p', max_tokens: 0 }).success).toBe(false);
    expect(parse({ prompt: 'p', max_tokens: 32_769 }).success).toBe(false);
    expect(parse({ prompt: 'p', target: 'app-1' }).success).toBe(false);
    expect(parse({ messages: [{ role: 'tool', content: 'x' }] }).success).toBe(false);
    expect(parse({ prompt: 'p' }).data).toMatchObject({ files: false });
  });

  it('estimates from max_tokens', () => {
    expect(
      llmGenerator.estimateSeconds(llmGenerator.input.parse({ prompt: 'p', max_tokens: 500 })),
    ).toBe(12);
  });

  it('is a built-in generator with a published schema', () => {
    expect(builtinGenerators.map((g) => g.name)).toContain('llm');
    const configured = createBuiltinGenerators({ llm: { baseUrl: 'http://127.0.0.1:1/v1' } });
    const registry = createGeneratorRegistry(configured);
    const info = registry.describe().find((g) => g.name === 'llm');
    expect(info?.input_schema).toMatchObject({
      type: 'object',
      properties: { prompt: expect.any(Object), files: expect.any(Object) },
    });
  });
});
