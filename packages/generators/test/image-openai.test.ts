import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import winston from 'winston';
import { UnrecoverableGenerationError } from '@genq/core';
import type { OutputWriter } from '../src/generator.ts';
import { createImageGenerator } from '../src/image/index.ts';
import type { ImageSettings, OpenAiImagesSettings } from '../src/media/index.ts';
import { ProviderError, UnrecoverableProviderError } from '../src/providers/provider-errors.ts';
// Imported by path: the package index also loads the database and stack helpers.
import {
  startFakeOpenAiImages,
  TINY_PNG,
  type FakeOpenAiImages,
  type FakeOpenAiImagesOptions,
} from '../../test-utils/src/fake-openai-images.ts';

const API_KEY = 'sk-test-images-abcdefghijklmnop';
const silentLogger = winston.createLogger({ silent: true });
const roots: string[] = [];
const servers: FakeOpenAiImages[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
afterAll(async () => {
  await Promise.all(roots.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function fake(options: FakeOpenAiImagesOptions = {}): Promise<FakeOpenAiImages> {
  const server = await startFakeOpenAiImages(options);
  servers.push(server);
  return server;
}

function settingsFor(server: FakeOpenAiImages, extra: OpenAiImagesSettings = {}): ImageSettings {
  return {
    provider: 'openai-images',
    openai: { baseUrl: server.baseUrl, apiKey: API_KEY, model: 'dall-e-2', ...extra },
    timeoutMs: 5_000,
    maxRetries: 2,
    sleep: async () => undefined,
  };
}

async function run(settings: ImageSettings, raw: unknown) {
  const out = await mkdtemp(join(tmpdir(), 'genq-image-api-'));
  roots.push(out);
  const output: OutputWriter = {
    createStream: (name) => createWriteStream(join(out, name)),
    writeFile: (name, data) => writeFile(join(out, name), data),
  };
  const generator = createImageGenerator(settings);
  const messages: string[] = [];
  const done = generator.run(generator.input.parse(raw), {
    jobId: 'job-api-1',
    attempt: 1,
    signal: new AbortController().signal,
    progress: (_stage, _percent, message) => messages.push(message ?? ''),
    output,
    logger: silentLogger,
  });
  return {
    done,
    messages,
    files: async () => (await readdir(out)).sort(),
    bytes: (name: string) => readFile(join(out, name)),
    metadata: async () =>
      JSON.parse(await readFile(join(out, 'metadata.json'), 'utf8')) as Record<string, unknown>,
  };
}

const pngOf = (i: number) => Buffer.concat([TINY_PNG, Buffer.from([i])]);

describe('openai-images provider', () => {
  it('asks for b64_json images and writes them', async () => {
    const server = await fake({ image: pngOf });
    const job = await run(settingsFor(server), {
      prompt: 'three cats',
      count: 3,
      size: '256x256',
      seed: 4,
    });
    await job.done;
    const [request] = server.generations();
    expect(request?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request?.body).toEqual({
      model: 'dall-e-2',
      prompt: 'three cats',
      n: 3,
      size: '256x256',
      response_format: 'b64_json',
    });
    expect(await job.files()).toEqual([
      'image-1.png',
      'image-2.png',
      'image-3.png',
      'metadata.json',
    ]);
    for (let i = 0; i < 3; i += 1) {
      expect((await job.bytes(`image-${i + 1}.png`)).equals(pngOf(i))).toBe(true);
    }
    const metadata = await job.metadata();
    expect(metadata).toMatchObject({
      provider: 'openai-images',
      model: 'dall-e-2',
      seed: 4,
      response_format: 'b64_json',
      seed_applied: false,
      requests: [{ n: 3, received: 3 }],
      warnings: ['the API takes no seed: the images are not reproducible'],
    });
    expect((metadata.images as { revised_prompt: string }[])[0]?.revised_prompt).toBe(
      'three cats (revised)',
    );
  });

  it('downloads url answers through the provider client', async () => {
    const server = await fake({ image: pngOf, downloadFailures: ['reset'] });
    const job = await run(settingsFor(server, { responseFormat: 'url' }), {
      prompt: 'two dogs',
      count: 2,
      size: '512x512',
    });
    await job.done;
    expect((server.generations()[0]?.body as { response_format: string }).response_format).toBe(
      'url',
    );
    // The first download dropped and was retried.
    expect(server.downloads).toEqual([
      '/files/image-0.png',
      '/files/image-0.png',
      '/files/image-1.png',
    ]);
    expect((await job.bytes('image-1.png')).equals(pngOf(0))).toBe(true);
    expect((await job.bytes('image-2.png')).equals(pngOf(1))).toBe(true);
    expect(await job.metadata()).toMatchObject({
      images: [
        expect.objectContaining({ source: new URL(server.url).host }),
        expect.objectContaining({ source: new URL(server.url).host }),
      ],
    });
  });

  it('takes a url answer when base64 was asked, and leaves response_format out when told to', async () => {
    const server = await fake({ alwaysUrl: true });
    const job = await run(settingsFor(server, { responseFormat: 'none', model: undefined }), {
      prompt: 'x',
    });
    await job.done;
    expect(server.generations()[0]?.body).toEqual({ prompt: 'x', n: 1, size: '512x512' });
    expect(await job.files()).toEqual(['image-1.png', 'metadata.json']);
  });

  it('appends the negative prompt by default, or sends it as a field', async () => {
    const server = await fake();
    const appended = await run(settingsFor(server), {
      prompt: 'a beach',
      negative_prompt: 'people',
    });
    await appended.done;
    expect((server.generations()[0]?.body as { prompt: string }).prompt).toBe(
      'a beach\n\nAvoid: people',
    );
    expect((await appended.metadata()).warnings).toContain(
      'the API takes no negative prompt: it was appended to the prompt',
    );
    const field = await run(settingsFor(server, { negativePrompt: 'field' }), {
      prompt: 'a beach',
      negative_prompt: 'people',
    });
    await field.done;
    expect(server.generations()[1]?.body).toMatchObject({
      prompt: 'a beach',
      negative_prompt: 'people',
    });
  });

  it('splits a job into requests of at most maxImagesPerRequest (dall-e-3 takes n = 1)', async () => {
    const server = await fake({ image: pngOf });
    const job = await run(settingsFor(server, { maxImagesPerRequest: 1, model: 'dall-e-3' }), {
      prompt: 'x',
      count: 3,
      size: '1024x1024',
    });
    await job.done;
    expect(server.generations().map((r) => (r.body as { n: number }).n)).toEqual([1, 1, 1]);
    expect(await job.files()).toEqual([
      'image-1.png',
      'image-2.png',
      'image-3.png',
      'metadata.json',
    ]);
  });

  it('asks again for the rest when a server sends fewer images than asked', async () => {
    const server = await fake({ maxPerAnswer: 2 });
    const job = await run(settingsFor(server), { prompt: 'x', count: 5 });
    await job.done;
    expect(server.generations().map((r) => (r.body as { n: number }).n)).toEqual([5, 3, 1]);
  });

  it('retries a dropped connection and a 502, then succeeds', async () => {
    const server = await fake({ failures: ['reset', 'html-502'] });
    const job = await run(settingsFor(server), { prompt: 'x' });
    await job.done;
    expect(server.generations()).toHaveLength(3);
    expect(
      job.messages.some((m) => m.startsWith('attempt 3 of 3 after: provider answered 502')),
    ).toBe(true);
  });

  it('fails at once on a refusal, with the provider message, and after the retries on persistent 5xx', async () => {
    const refused = await fake({
      failures: [
        {
          status: 400,
          body: { error: { message: 'Your request was rejected by the safety system.' } },
        },
      ],
    });
    const error = await (
      await run(settingsFor(refused), { prompt: 'x' })
    ).done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnrecoverableProviderError);
    expect((error as Error).message).toContain('rejected by the safety system');
    expect(refused.generations()).toHaveLength(1);

    const down = await fake({ failures: ['html-502', 'html-502', 'html-502'] });
    const downError = await (
      await run(settingsFor(down), { prompt: 'x' })
    ).done.catch((e: unknown) => e);
    expect(downError).toBeInstanceOf(ProviderError);
    expect((downError as ProviderError).attempts).toBe(3);
  });

  it('refuses base64 that is not an image, and fails at once when not configured', async () => {
    const server = await fake({ image: () => Buffer.from('<html>not an image</html>') });
    const error = await (
      await run(settingsFor(server), { prompt: 'x' })
    ).done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnrecoverableGenerationError);
    expect((error as Error).message).toContain('b64_json does not hold an image');

    const unconfigured = await (
      await run({ provider: 'openai-images' }, { prompt: 'x' })
    ).done.catch((e: unknown) => e);
    expect(unconfigured).toBeInstanceOf(UnrecoverableGenerationError);
    expect((unconfigured as Error).message).toContain('set IMAGE_API_BASE_URL');
  });
});
