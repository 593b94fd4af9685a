import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { WaveFile as WaveFileClass } from 'wavefile';
import winston from 'winston';
import { UnrecoverableGenerationError, type WorkingStage } from '@genq/core';
import type { Generator, OutputWriter } from '../src/generator.ts';
import { createImageGenerator } from '../src/image/index.ts';
import type { ImageSettings, MusicSettings } from '../src/media/index.ts';
import { createMusicGenerator, wavHeader } from '../src/music/index.ts';
import { CogPredictionFailedError, cogOutputRefs, newPredictionId } from '../src/providers/cog.ts';
import { ProviderError, UnrecoverableProviderError } from '../src/providers/provider-errors.ts';
// Imported by path: the package index also loads the database and stack helpers.
import {
  dataUri,
  startFakeCog,
  type FakeCog,
  type FakeCogStep,
} from '../../test-utils/src/fake-cog.ts';
import { TINY_PNG } from '../../test-utils/src/fake-openai-images.ts';

const { WaveFile } = createRequire(import.meta.url)('wavefile') as {
  WaveFile: typeof WaveFileClass;
};

const silentLogger = winston.createLogger({ silent: true });
const roots: string[] = [];
const servers: FakeCog[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
afterAll(async () => {
  await Promise.all(roots.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function fakeCog(steps: FakeCogStep[] = []): Promise<FakeCog> {
  const server = await startFakeCog(steps);
  servers.push(server);
  return server;
}

interface Progress {
  stage: WorkingStage;
  percent: number;
  message?: string;
}

async function startJob<I>(
  generator: Generator<I>,
  raw: unknown,
  signal: AbortSignal = new AbortController().signal,
) {
  const out = await mkdtemp(join(tmpdir(), 'genq-cog-'));
  roots.push(out);
  const output: OutputWriter = {
    createStream: (name) => createWriteStream(join(out, name)),
    writeFile: (name, data) => writeFile(join(out, name), data),
  };
  const progress: Progress[] = [];
  const done = generator.run(generator.input.parse(raw), {
    jobId: 'job-cog-1',
    attempt: 1,
    signal,
    progress: (stage, percent, message) => progress.push({ stage, percent, message }),
    output,
    logger: silentLogger,
  });
  return {
    out,
    progress,
    done,
    files: async () => (await readdir(out)).sort(),
    bytes: (name: string) => readFile(join(out, name)),
    metadata: async () =>
      JSON.parse(await readFile(join(out, 'metadata.json'), 'utf8')) as Record<string, unknown>,
  };
}

/** Fast retries and polls: a few milliseconds, still cancellable. */
const quickSleep = async (_ms: number, signal: AbortSignal) => {
  await delay(5, undefined, { signal });
};

function imageSettings(server: FakeCog, extra: Partial<ImageSettings['cog']> = {}): ImageSettings {
  return {
    provider: 'cog',
    cog: { url: server.url, input: { scheduler: 'K_EULER' }, ...extra },
    timeoutMs: 5_000,
    maxRetries: 2,
    sleep: quickSleep,
  };
}

function musicSettings(server: FakeCog): MusicSettings {
  return {
    provider: 'cog',
    cog: { url: server.url },
    timeoutMs: 5_000,
    maxRetries: 2,
    sleep: quickSleep,
  };
}

const png = (seed: number) => dataUri(Buffer.concat([TINY_PNG, Buffer.from([seed])]), 'image/png');

/** One second of silence as a WAV file, 32 kHz mono, as MusicGen would send. */
function silentWav(seconds: number, rate = 32_000): Buffer {
  const frames = seconds * rate;
  return Buffer.concat([Buffer.from(wavHeader(frames, rate, 1)), Buffer.alloc(frames * 2)]);
}

describe('cog image provider', () => {
  it('runs a prediction answered synchronously, with data URI outputs', async () => {
    const server = await fakeCog([{ result: { status: 'succeeded', output: [png(1), png(2)] } }]);
    const job = await startJob(createImageGenerator(imageSettings(server)), {
      prompt: 'a lighthouse',
      negative_prompt: 'blurry',
      count: 2,
      size: '768x768',
      seed: 11,
    });
    await job.done;

    expect(server.requests).toHaveLength(1);
    const request = server.requests[0];
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/predictions');
    expect(request?.headers.prefer).toBe('wait');
    const body = request?.body as { id: string; input: Record<string, unknown> };
    expect(body.id).toMatch(/^[a-z2-7]{26}$/);
    expect(body.input).toEqual({
      scheduler: 'K_EULER',
      prompt: 'a lighthouse',
      negative_prompt: 'blurry',
      num_outputs: 2,
      width: 768,
      height: 768,
      seed: 11,
    });
    expect(await job.files()).toEqual(['image-1.png', 'image-2.png', 'metadata.json']);
    expect(
      (await job.bytes('image-2.png')).equals(Buffer.concat([TINY_PNG, Buffer.from([2])])),
    ).toBe(true);
    const metadata = await job.metadata();
    expect(metadata).toMatchObject({
      provider: 'cog',
      seed: 11,
      size: '768x768',
      predictions: [{ id: body.id, seed: 11, num_outputs: 2, polls: 0, predict_time_s: 0.5 }],
      warnings: [],
    });
    expect(metadata.server).toBe(new URL(server.url).host);
  });

  it('polls a slow prediction through starting and processing until it succeeds, downloading URL outputs', async () => {
    const server = await fakeCog();
    const url = server.file('out-0.png', TINY_PNG, 'image/png');
    server.enqueue({
      statuses: ['starting', 'processing', 'processing'],
      logs: ['', ' 10%|█         | 2/20', ' 45%|████▌     | 9/20'],
      result: { status: 'succeeded', output: [url] },
    });
    const job = await startJob(createImageGenerator(imageSettings(server)), {
      prompt: 'a slow one',
      seed: 1,
    });
    await job.done;

    const id = (server.requests[0]?.body as { id: string }).id;
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /predictions',
      `GET /predictions/${id}`,
      `GET /predictions/${id}`,
      `GET /predictions/${id}`,
      'GET /files/out-0.png',
    ]);
    expect((await job.bytes('image-1.png')).equals(TINY_PNG)).toBe(true);
    expect(job.progress.map((p) => p.message)).toEqual(
      expect.arrayContaining([
        'the model server is starting the prediction',
        'the model is at 10%',
        'the model is at 45%',
      ]),
    );
    const stages = [...new Set(job.progress.map((p) => p.stage))];
    expect(stages).toEqual(['loading_model', 'encoding_prompt', 'generating', 'saving']);
    expect(await job.metadata()).toMatchObject({ predictions: [{ id, polls: 3 }] });
  });

  it('fails at once, without retries, when the model fails the prediction', async () => {
    const server = await fakeCog([
      {
        statuses: ['processing'],
        result: {
          status: 'failed',
          error: 'NSFW content detected. Try running it again, or try a different prompt.',
        },
      },
    ]);
    const job = await startJob(createImageGenerator(imageSettings(server)), { prompt: 'x' });
    const error = await job.done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CogPredictionFailedError);
    expect(error).toBeInstanceOf(UnrecoverableGenerationError);
    expect((error as Error).message).toMatch(/^Cog prediction \w+ failed: NSFW content detected/);
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(await job.files()).toEqual([]);
  });

  it('treats a model error that reads as transient (out of memory) as worth another attempt', async () => {
    const server = await fakeCog([
      { result: { status: 'failed', error: 'CUDA out of memory. Tried to allocate 2.00 GiB' } },
    ]);
    const error = await (
      await startJob(createImageGenerator(imageSettings(server)), { prompt: 'x' })
    ).done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).not.toBeInstanceOf(UnrecoverableGenerationError);
    expect((error as Error).message).toContain('CUDA out of memory');
  });

  it('retries a connection the server drops, with the same prediction id, and succeeds', async () => {
    const server = await fakeCog(['reset', { result: { status: 'succeeded', output: png(1) } }]);
    const job = await startJob(createImageGenerator(imageSettings(server)), { prompt: 'x' });
    await job.done;
    const posts = server.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    expect((posts[0]?.body as { id: string }).id).toBe((posts[1]?.body as { id: string }).id);
    expect(await job.files()).toEqual(['image-1.png', 'metadata.json']);
    expect(job.progress.some((p) => /^attempt 2 of 3 after: /.test(p.message ?? ''))).toBe(true);
  });

  it('retries a poll whose connection drops', async () => {
    const server = await fakeCog([
      { statuses: ['processing'], dropPolls: 1, result: { status: 'succeeded', output: png(1) } },
    ]);
    const job = await startJob(createImageGenerator(imageSettings(server)), { prompt: 'x' });
    await job.done;
    expect(server.requests.filter((r) => r.method === 'GET')).toHaveLength(2);
  });

  it('gives up on a server that keeps failing with a retryable error, so the job is retried later', async () => {
    const server = await fakeCog(['html-502', 'html-502', 'reset']);
    const error = await (
      await startJob(createImageGenerator(imageSettings(server)), { prompt: 'x' })
    ).done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).attempts).toBe(3);
    expect((error as Error).message).toMatch(
      /^Cog server request POST 127\.0\.0\.1:\d+\/predictions failed after 3 attempts/,
    );
  });

  it('sends a cancel request when the job is cancelled while the prediction runs', async () => {
    const server = await fakeCog([
      {
        statuses: ['starting', 'processing'],
        hold: true,
        result: { status: 'succeeded', output: png(1) },
      },
    ]);
    const controller = new AbortController();
    const job = await startJob(
      createImageGenerator(imageSettings(server)),
      { prompt: 'x' },
      controller.signal,
    );
    const started = Date.now();
    while (server.requests.filter((r) => r.method === 'GET').length < 3) {
      if (Date.now() - started > 10_000) throw new Error('no polls');
      await delay(5);
    }
    controller.abort(new Error('job was cancelled'));
    await expect(job.done).rejects.toThrow('job was cancelled');
    const id = (server.requests[0]?.body as { id: string }).id;
    expect(server.cancels).toEqual([id]);
    expect(server.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: `/predictions/${id}/cancel`,
    });
    expect(server.predictions.get(id)?.cancelled).toBe(true);
    expect(await job.files()).toEqual([]);
  });

  it('cancels a prediction that outlives its time limit, and fails the attempt', async () => {
    const server = await fakeCog([
      { statuses: ['processing'], hold: true, result: { status: 'succeeded', output: png(1) } },
    ]);
    const settings = imageSettings(server, { predictionTimeoutMs: 50 });
    const error = await (
      await startJob(createImageGenerator(settings), { prompt: 'x' })
    ).done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as Error).message).toMatch(/was still processing after \d+ s; cancelled it/);
    expect(server.cancels).toHaveLength(1);
  });

  it('treats 409 (the container is busy) as worth another attempt, and 422 (bad input) as final', async () => {
    const busy = await fakeCog([{ status: 409, body: { detail: 'Already running a prediction' } }]);
    const busyError = await (
      await startJob(createImageGenerator(imageSettings(busy)), { prompt: 'x' })
    ).done.catch((e: unknown) => e);
    expect(busyError).toBeInstanceOf(ProviderError);
    expect((busyError as Error).message).toContain('Already running a prediction');
    expect((busyError as Error).message).toContain('busy with another prediction');

    const invalid = await fakeCog([
      {
        status: 422,
        body: { detail: [{ loc: ['body', 'input', 'width'], msg: 'must be a multiple of 64' }] },
      },
    ]);
    const invalidError = await (
      await startJob(createImageGenerator(imageSettings(invalid)), { prompt: 'x' })
    ).done.catch((e: unknown) => e);
    expect(invalidError).toBeInstanceOf(UnrecoverableProviderError);
    expect((invalidError as UnrecoverableProviderError).status).toBe(422);
  });

  it('asks for more images than one prediction makes in several predictions, seed by seed', async () => {
    const server = await fakeCog([
      { result: { status: 'succeeded', output: [png(1), png(2)] } },
      { result: { status: 'succeeded', output: [png(3)] } },
    ]);
    const job = await startJob(
      createImageGenerator(imageSettings(server, { maxOutputsPerPrediction: 2 })),
      { prompt: 'x', count: 3, seed: 100 },
    );
    await job.done;
    const inputs = server.requests.map(
      (r) => (r.body as { input: { num_outputs: number; seed: number } }).input,
    );
    expect(inputs.map((i) => [i.num_outputs, i.seed])).toEqual([
      [2, 100],
      [1, 102],
    ]);
    expect(await job.files()).toEqual([
      'image-1.png',
      'image-2.png',
      'image-3.png',
      'metadata.json',
    ]);
  });

  it('completes with a warning when the model returns fewer images, and fails when it returns none or no image', async () => {
    const fewer = await fakeCog([{ result: { status: 'succeeded', output: [png(1)] } }]);
    const job = await startJob(createImageGenerator(imageSettings(fewer)), {
      prompt: 'x',
      count: 2,
    });
    await job.done;
    expect((await job.metadata()).warnings).toEqual([
      expect.stringMatching(/returned 1 image of 2 asked/),
    ]);

    const none = await fakeCog([{ result: { status: 'succeeded', output: [] } }]);
    await expect(
      (await startJob(createImageGenerator(imageSettings(none)), { prompt: 'x' })).done,
    ).rejects.toThrow(/succeeded without an image/);

    const text = await fakeCog([
      { result: { status: 'succeeded', output: dataUri(Buffer.from('hello'), 'text/plain') } },
    ]);
    const error = await (
      await startJob(createImageGenerator(imageSettings(text)), { prompt: 'x' })
    ).done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnrecoverableGenerationError);
    expect((error as Error).message).toContain('is not an image');
  });

  it('fails at once when not configured', async () => {
    const error = await (
      await startJob(createImageGenerator({ provider: 'cog' }), { prompt: 'x' })
    ).done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnrecoverableGenerationError);
    expect((error as Error).message).toBe('the Cog provider is not configured: set COG_IMAGE_URL');
  });
});

describe('cog music provider', () => {
  it('runs a MusicGen-style prediction and writes the WAV it returns', async () => {
    const server = await fakeCog();
    const url = server.file('music.wav', silentWav(20), 'audio/wav');
    server.enqueue({
      statuses: ['starting', 'processing'],
      result: { status: 'succeeded', output: url },
    });
    const job = await startJob(createMusicGenerator(musicSettings(server)), {
      prompt: 'lofi piano',
      duration: 20,
      seed: 5,
    });
    await job.done;
    expect((server.requests[0]?.body as { input: unknown }).input).toEqual({
      prompt: 'lofi piano',
      duration: 20,
      seed: 5,
      output_format: 'wav',
    });
    expect(await job.files()).toEqual(['metadata.json', 'music.wav']);
    const wav = new WaveFile(await job.bytes('music.wav'));
    const samples = wav.getSamples(false, Float64Array) as unknown as Float64Array;
    expect(samples.length / (wav.fmt as { sampleRate: number }).sampleRate).toBe(20);
    expect(await job.metadata()).toMatchObject({
      provider: 'cog',
      seed: 5,
      duration_s: 20,
      decoded_duration_s: 20,
      sample_rate: 32_000,
      channels: 1,
      polls: 2,
      warnings: [],
    });
  });

  it('takes the audio as a data URI, and refuses output that is not audio', async () => {
    const server = await fakeCog([
      { result: { status: 'succeeded', output: dataUri(silentWav(2), 'audio/wav') } },
      { result: { status: 'succeeded', output: dataUri(TINY_PNG, 'image/png') } },
    ]);
    const ok = await startJob(createMusicGenerator(musicSettings(server)), {
      prompt: 'x',
      duration: 2,
    });
    await ok.done;
    expect(await ok.metadata()).toMatchObject({ decoded_duration_s: 2 });
    const bad = await startJob(createMusicGenerator(musicSettings(server)), {
      prompt: 'x',
      duration: 2,
    });
    await expect(bad.done).rejects.toThrow('Cog output is not audio');
  });

  it('fails at once when not configured', async () => {
    const job = await startJob(createMusicGenerator({ provider: 'cog' }), {
      prompt: 'x',
      duration: 2,
    });
    await expect(job.done).rejects.toThrow('the Cog provider is not configured: set COG_MUSIC_URL');
  });
});

describe('cog helpers', () => {
  it('finds output files in strings, lists and objects', () => {
    expect(cogOutputRefs('data:image/png;base64,AA')).toEqual(['data:image/png;base64,AA']);
    expect(cogOutputRefs(['https://x/a.png', 'not a file', { audio: '/files/b.wav' }])).toEqual([
      'https://x/a.png',
      '/files/b.wav',
    ]);
    expect(cogOutputRefs(null)).toEqual([]);
  });

  it('makes 26-character base32 prediction ids', () => {
    const ids = new Set(Array.from({ length: 50 }, () => newPredictionId()));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(/^[a-z2-7]{26}$/);
  });
});
