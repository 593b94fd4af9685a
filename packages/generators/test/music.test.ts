import { afterAll, describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import type { WaveFile as WaveFileClass } from 'wavefile';
import { WORKING_STAGES } from '@genq/core';
import {
  removeGeneratorJobFolders,
  runGeneratorJob as runJob,
  startGeneratorJob as startJob,
} from '@genq/test-utils';
import { builtinGenerators, createBuiltinGenerators } from '../src/builtin.ts';
import { arrange, createMusicGenerator, planMusic } from '../src/music/index.ts';
import { createGeneratorRegistry } from '../src/registry.ts';

// wavefile ships CommonJS; a real decoder, independent of the code under test.
const { WaveFile } = createRequire(import.meta.url)('wavefile') as {
  WaveFile: typeof WaveFileClass;
};

afterAll(removeGeneratorJobFolders);

function decodeWav(bytes: Uint8Array) {
  const wav = new WaveFile(bytes);
  const fmt = wav.fmt as {
    sampleRate: number;
    numChannels: number;
    bitsPerSample: number;
    audioFormat: number;
  };
  const channels = wav.getSamples(false, Float64Array) as unknown as Float64Array[];
  return { fmt, channels };
}

describe('music generator, procedural provider', () => {
  const music = createMusicGenerator();

  it('writes a 20 s WAV that decodes to 20 s, and metadata.json', async () => {
    const job = await runJob(music, {
      prompt: 'upbeat synthwave with drums and a catchy lead',
      duration: 20,
      seed: 42,
    });
    expect(await job.files()).toEqual(['metadata.json', 'music.wav']);
    const { fmt, channels } = decodeWav(await job.bytes('music.wav'));
    expect(fmt.audioFormat).toBe(1);
    expect(fmt.bitsPerSample).toBe(16);
    expect(fmt.numChannels).toBe(2);
    expect(channels).toHaveLength(2);
    const frames = (channels[0] as Float64Array).length;
    expect(Math.abs(frames / fmt.sampleRate - 20)).toBeLessThanOrEqual(1 / fmt.sampleRate);

    // Sound, not silence or noise at full scale: a peak well above zero, never clipping.
    const left = channels[0] as Float64Array;
    let peak = 0;
    let energy = 0;
    for (let i = 0; i < left.length; i += 1) {
      const sample = left[i] as number;
      const size = sample < 0 ? -sample : sample;
      if (size > peak) peak = size;
      energy += sample * sample;
    }
    const rms = Math.sqrt(energy / left.length) / 32768;
    expect(peak).toBeGreaterThan(3000);
    expect(peak).toBeLessThan(32767);
    expect(rms).toBeGreaterThan(0.02);
    // The first and last samples are faded.
    expect(Math.abs(left[0] as number)).toBeLessThan(200);
    expect(Math.abs(left[left.length - 1] as number)).toBeLessThan(200);

    const metadata = await job.metadata();
    expect(metadata).toMatchObject({
      generator: 'music',
      provider: 'procedural',
      model: null,
      prompt: 'upbeat synthwave with drums and a catchy lead',
      seed: 42,
      duration_s: 20,
      format: 'wav',
      file: 'music.wav',
      mime: 'audio/wav',
      sample_rate: 44_100,
      channels: 2,
      frames: 20 * 44_100,
      synthesiser: 'procedural-v1',
    });
    expect(metadata.bytes).toBe((await job.bytes('music.wav')).length);
    expect(['upbeat', 'electronic']).toContain(metadata.style);
    expect(metadata.instruments).toHaveProperty('drums');
    expect(typeof metadata.synth_ms).toBe('number');
  });

  it('reports the real stages in order, generating as the audio is made', async () => {
    const job = await runJob(music, { prompt: 'calm ambient piano', duration: 5, seed: 1 });
    expect([...new Set(job.progress.map((p) => p.stage))]).toEqual([...WORKING_STAGES]);
    const percents = job.progress.map((p) => p.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.at(-1)).toBe(100);
    const generating = job.progress.filter((p) => p.stage === 'generating');
    expect(generating.length).toBeGreaterThan(5);
    expect(generating.at(-1)?.message).toBe('synthesised 5.0 of 5 s');
    expect(job.progress.find((p) => p.stage === 'encoding_prompt')?.message).toMatch(
      /^calm, \d+ bpm in [A-G][#b]? \w+: \d+ notes$/,
    );
  });

  it('gives identical bytes for the same prompt and seed, other audio for another prompt or seed', async () => {
    const input = { prompt: 'lofi hip hop beat for studying', duration: 6, seed: 7 };
    const a = await (await runJob(music, input, 'job-a')).bytes('music.wav');
    const b = await (await runJob(music, input, 'job-b')).bytes('music.wav');
    expect(a.equals(b)).toBe(true);
    const otherPrompt = await (
      await runJob(music, { ...input, prompt: 'dark cinematic strings' })
    ).bytes('music.wav');
    const otherSeed = await (await runJob(music, { ...input, seed: 8 })).bytes('music.wav');
    expect(otherPrompt.length).toBe(a.length);
    expect(otherPrompt.equals(a)).toBe(false);
    expect(otherSeed.equals(a)).toBe(false);
    // Not merely different bytes: the signals are far apart.
    const x = decodeWav(a).channels[0] as Float64Array;
    const y = decodeWav(otherPrompt).channels[0] as Float64Array;
    let diff = 0;
    for (let i = 0; i < x.length; i += 7) diff += Math.abs((x[i] as number) - (y[i] as number));
    expect(diff / (x.length / 7)).toBeGreaterThan(300);
  });

  it('gives every duration exactly, including one second', async () => {
    for (const duration of [1, 3]) {
      const job = await runJob(music, { prompt: 'rock guitar', duration, seed: 3 });
      const { fmt, channels } = decodeWav(await job.bytes('music.wav'));
      expect((channels[0] as Float64Array).length).toBe(duration * fmt.sampleRate);
    }
  });

  it('reads the prompt: style, tempo, key and instruments, "no drums"', () => {
    const calm = planMusic('calm relaxing piano', 1);
    expect(calm.style).toBe('calm');
    expect(calm.voices.keys).toBe('piano');
    expect(calm.tempo).toBeLessThan(90);
    const upbeat = planMusic('happy upbeat dance track with drums', 1);
    expect(upbeat.style).toBe('upbeat');
    expect(upbeat.tempo).toBeGreaterThan(105);
    expect(upbeat.voices.drums).toBe('pop');
    expect(planMusic('techno at 140 bpm in D minor', 1)).toMatchObject({
      tempo: 140,
      key: 'D minor',
    });
    expect(planMusic('energetic edm, no drums', 1).voices.drums).toBeNull();
    expect(planMusic('sad song with guitar and strings', 1).voices).toMatchObject({
      lead: 'pluck',
      pad: 'strings',
    });
    const events = arrange(calm, 1, 10 * 44_100, 44_100);
    expect(events.length).toBeGreaterThan(10);
    expect(
      events.every((e, i) => i === 0 || (events[i - 1] as { start: number }).start <= e.start),
    ).toBe(true);
  });

  it('stops mid-synthesis when the job is cancelled, without writing metadata', async () => {
    const controller = new AbortController();
    const job = await startJob(
      music,
      { prompt: 'epic orchestral battle', duration: 120, seed: 1 },
      { signal: controller.signal },
    );
    const started = Date.now();
    while (!job.progress.some((p) => p.stage === 'generating' && p.percent > 12)) {
      if (Date.now() - started > 20_000) throw new Error('synthesis never started');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    controller.abort(new Error('job was cancelled'));
    await expect(job.done).rejects.toThrow('job was cancelled');
    expect(await job.files()).not.toContain('metadata.json');
    expect(job.progress.at(-1)?.percent ?? 100).toBeLessThan(90);
  });
});

describe('music input limits', () => {
  it('takes the defaults', () => {
    expect(createMusicGenerator().input.parse({ prompt: 'x' })).toEqual({
      prompt: 'x',
      duration: 30,
      format: 'wav',
    });
    expect(createMusicGenerator().input.safeParse({ prompt: 'x', format: 'mp3' }).success).toBe(
      false,
    );
    expect(createMusicGenerator().input.safeParse({ prompt: 'x', duration: 2.5 }).success).toBe(
      false,
    );
  });

  it('refuses a duration above the configured maximum, naming duration', () => {
    const registry = createGeneratorRegistry(
      createBuiltinGenerators({ music: { maxSeconds: 60 } }),
    );
    expect(registry.parseInput('music', { prompt: 'x', duration: 60 })).toMatchObject({
      duration: 60,
    });
    expect(() => registry.parseInput('music', { prompt: 'x', duration: 61 })).toThrow(
      expect.objectContaining({
        details: [
          expect.objectContaining({
            path: 'input.duration',
            message: 'at most 60 seconds per job on this server',
          }),
        ],
      }),
    );
    // Default: 120 s.
    const defaults = createGeneratorRegistry(builtinGenerators);
    expect(() => defaults.parseInput('music', { prompt: 'x', duration: 121 })).toThrow();
  });

  it('refuses a duration whose audio would exceed the byte limit', () => {
    // 10 s of 44.1 kHz stereo 16-bit is about 1.7 MiB.
    const music = createMusicGenerator({ maxResultBytes: 1024 * 1024 });
    expect(music.input.safeParse({ prompt: 'x', duration: 5 }).success).toBe(true);
    const long = music.input.safeParse({ prompt: 'x', duration: 10 });
    expect(long.error?.issues[0]?.path).toEqual(['duration']);
    expect(long.error?.issues[0]?.message).toContain("above this server's result limit of 1 MiB");
  });

  it('estimates time in proportion to the duration', () => {
    const music = builtinGenerators.find((g) => g.name === 'music');
    const short = music?.estimateSeconds(
      music.input.parse({ prompt: 'x', duration: 10 }),
    ) as number;
    const long = music?.estimateSeconds(
      music.input.parse({ prompt: 'x', duration: 100 }),
    ) as number;
    expect(long).toBeGreaterThan(short * 5);
    expect(music?.requiresGpu).toBe(false);
    const cog = createMusicGenerator({ provider: 'cog', cog: { url: 'http://127.0.0.1:1' } });
    expect(cog.requiresGpu).toBe(true);
    expect(cog.estimateSeconds(cog.input.parse({ prompt: 'x', duration: 60 }))).toBeGreaterThan(
      cog.estimateSeconds(cog.input.parse({ prompt: 'x', duration: 10 })),
    );
  });
});
