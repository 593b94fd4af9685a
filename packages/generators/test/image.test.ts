import { afterAll, describe, expect, it } from '@jest/globals';
import { decode } from 'fast-png';
import { WORKING_STAGES } from '@genq/core';
import {
  removeGeneratorJobFolders,
  runGeneratorJob as runJob,
  startGeneratorJob as startJob,
} from '@genq/test-utils';
import { createBuiltinGenerators, builtinGenerators } from '../src/builtin.ts';
import { createImageGenerator, imageFeatures } from '../src/image/index.ts';
import { createGeneratorRegistry } from '../src/registry.ts';

afterAll(removeGeneratorJobFolders);

describe('image generator, procedural provider', () => {
  const image = createImageGenerator();

  it('renders 4 PNGs of the requested size that decode, and metadata.json', async () => {
    const job = await runJob(image, {
      prompt: 'snowy mountains under a starry night sky',
      count: 4,
      size: '256x256',
      seed: 1234,
    });
    expect(await job.files()).toEqual([
      'image-1.png',
      'image-2.png',
      'image-3.png',
      'image-4.png',
      'metadata.json',
    ]);
    const digests = new Set<string>();
    for (let i = 1; i <= 4; i += 1) {
      const bytes = await job.bytes(`image-${i}.png`);
      const png = decode(bytes);
      expect(png.width).toBe(256);
      expect(png.height).toBe(256);
      expect(png.depth).toBe(8);
      // A picture, not a flat fill: many distinct colours.
      const colours = new Set<number>();
      for (let p = 0; p < png.data.length; p += png.channels * 7) {
        colours.add(
          ((png.data[p] as number) << 16) |
            ((png.data[p + 1] as number) << 8) |
            (png.data[p + 2] as number),
        );
      }
      expect(colours.size).toBeGreaterThan(50);
      digests.add(bytes.toString('base64'));
    }
    expect(digests.size).toBe(4);

    const metadata = await job.metadata();
    expect(metadata).toMatchObject({
      generator: 'image',
      provider: 'procedural',
      model: null,
      prompt: 'snowy mountains under a starry night sky',
      negative_prompt: null,
      seed: 1234,
      seed_given: true,
      size: '256x256',
      width: 256,
      height: 256,
      count: 4,
      renderer: 'procedural-v1',
    });
    expect(metadata.motifs).toEqual(expect.arrayContaining(['mountains', 'stars']));
    expect(
      (metadata.images as { file: string; seed: number }[]).map((i) => [i.file, i.seed]),
    ).toEqual([
      ['image-1.png', 1234],
      ['image-2.png', 1235],
      ['image-3.png', 1236],
      ['image-4.png', 1237],
    ]);
    const timings = metadata.timings_ms as Record<string, number>;
    for (const key of ['loading_model', 'encoding_prompt', 'generating', 'saving', 'total']) {
      expect(typeof timings[key]).toBe('number');
    }
    expect(job.summary).toMatchObject({ metadata: { provider: 'procedural', images: 4 } });
  });

  it('reports every stage in order, with progress that never goes back', async () => {
    const job = await runJob(image, {
      prompt: 'a calm sunset over the ocean',
      count: 3,
      size: '256x256',
    });
    const stages = [...new Set(job.progress.map((p) => p.stage))];
    expect(stages).toEqual([...WORKING_STAGES]);
    const percents = job.progress.map((p) => p.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.at(-1)).toBe(100);
    const generating = job.progress.filter((p) => p.stage === 'generating').map((p) => p.message);
    expect(generating).toEqual(
      expect.arrayContaining([
        'rendered 1 image of 3',
        'rendered 2 images of 3',
        'rendered 3 images of 3',
      ]),
    );
  });

  it('gives identical bytes for the same prompt and seed, and other bytes otherwise', async () => {
    const input = { prompt: 'neon cyberpunk city at night', count: 2, size: '256x256', seed: 99 };
    const a = await runJob(image, input, 'job-a');
    const b = await runJob(image, input, 'job-b');
    for (const name of ['image-1.png', 'image-2.png']) {
      expect((await a.bytes(name)).equals(await b.bytes(name))).toBe(true);
    }
    const otherSeed = await runJob(image, { ...input, seed: 100 });
    expect((await otherSeed.bytes('image-1.png')).equals(await a.bytes('image-1.png'))).toBe(false);
    // Seed 100's first image is seed 99's second: image n of a job uses seed + n - 1.
    expect((await otherSeed.bytes('image-1.png')).equals(await a.bytes('image-2.png'))).toBe(true);
    const otherPrompt = await runJob(image, { ...input, prompt: 'a quiet pine forest' });
    expect((await otherPrompt.bytes('image-1.png')).equals(await a.bytes('image-1.png'))).toBe(
      false,
    );
  });

  it('derives the seed from the job id when none is given, so a retry renders the same', async () => {
    const input = { prompt: 'abstract shapes', size: '256x256' };
    const first = await runJob(image, input, 'job-x');
    const retry = await runJob(image, input, 'job-x');
    const other = await runJob(image, input, 'job-y');
    expect((await first.bytes('image-1.png')).equals(await retry.bytes('image-1.png'))).toBe(true);
    expect((await first.bytes('image-1.png')).equals(await other.bytes('image-1.png'))).toBe(false);
    expect(await first.metadata()).toMatchObject({ seed_given: false });
  });

  it('renders every size with the right dimensions', async () => {
    const job = await runJob(image, { prompt: 'desert dunes', size: '1024x768', seed: 5 });
    const png = decode(await job.bytes('image-1.png'));
    expect([png.width, png.height]).toEqual([1024, 768]);
  });

  it('reads the words: colours, motifs, and what the negative prompt rules out', () => {
    const night = imageFeatures('a red planet in outer space with stars', '', 1);
    expect(night.motifs).toEqual(expect.arrayContaining(['planet', 'stars']));
    expect(night.matched).toEqual(expect.arrayContaining(['red', 'space']));
    const noStars = imageFeatures('a red planet in outer space', 'stars, blue', 1);
    expect(noStars.motifs).not.toContain('stars');
    expect(noStars.removed).toEqual(expect.arrayContaining(['stars', 'blue']));
    const without = imageFeatures('a forest without trees', '', 1);
    expect(without.motifs).not.toContain('trees');
  });

  it('stops when the job is cancelled', async () => {
    const controller = new AbortController();
    const job = await startJob(
      image,
      { prompt: 'busy geometric grid', count: 10, size: '1024x1024' },
      { signal: controller.signal },
    );
    controller.abort(new Error('job was cancelled'));
    await expect(job.done).rejects.toThrow('job was cancelled');
    expect(await job.files()).not.toContain('metadata.json');
  });

  it('lets timers run while it renders (it yields every ~15 ms)', async () => {
    let worst = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
    }, 5);
    let job;
    try {
      job = await runJob(image, {
        prompt: 'mountains at dawn',
        count: 2,
        size: '1024x1024',
        seed: 3,
      });
    } finally {
      clearInterval(timer);
    }
    // The renderer reports "rendering image n" each time it comes back from a yield: a
    // 1024×1024 image takes several 15 ms slices on any machine.
    const resumed = job.progress.filter((p) => p.message?.startsWith('rendering image'));
    expect(resumed.length).toBeGreaterThanOrEqual(2);
    // Loose: a busy CI machine may not give the process the CPU for a while.
    expect(worst).toBeLessThan(1_500);
  });
});

describe('image input limits', () => {
  it('takes the defaults and the size enum', () => {
    const parsed = createImageGenerator().input.parse({ prompt: 'x' });
    expect(parsed).toEqual({ prompt: 'x', count: 1, size: '512x512' });
    expect(createImageGenerator().input.safeParse({ prompt: 'x', size: '300x300' }).success).toBe(
      false,
    );
    expect(createImageGenerator().input.safeParse({ prompt: 'x', steps: 3 }).success).toBe(false);
    expect(createImageGenerator().input.safeParse({ prompt: '   ' }).success).toBe(false);
  });

  it('refuses more images than the configured maximum, naming count', () => {
    const registry = createGeneratorRegistry(createBuiltinGenerators({ image: { maxCount: 4 } }));
    expect(registry.parseInput('image', { prompt: 'cats', count: 4 })).toMatchObject({ count: 4 });
    expect(() => registry.parseInput('image', { prompt: 'cats', count: 5 })).toThrow(
      expect.objectContaining({
        details: [
          expect.objectContaining({
            path: 'input.count',
            message: 'at most 4 images per job on this server',
          }),
        ],
      }),
    );
    // The default maximum is 10, and the published schema says so.
    expect(() =>
      createGeneratorRegistry(builtinGenerators).parseInput('image', { prompt: 'x', count: 11 }),
    ).toThrow();
    const info = createGeneratorRegistry(createBuiltinGenerators({ image: { maxCount: 4 } }))
      .describe()
      .find((g) => g.name === 'image');
    expect(JSON.stringify(info?.input_schema)).toContain('"maximum":4');
  });

  it('refuses a job whose result would exceed the byte limit, naming count or size', () => {
    const image = createImageGenerator({ maxResultBytes: 8 * 1024 * 1024 });
    // 1024×1024×4 = 4 MiB an image.
    expect(image.input.safeParse({ prompt: 'x', size: '1024x1024', count: 2 }).success).toBe(true);
    const many = image.input.safeParse({ prompt: 'x', size: '1024x1024', count: 3 });
    expect(many.success).toBe(false);
    expect(many.error?.issues[0]?.path).toEqual(['count']);
    expect(many.error?.issues[0]?.message).toContain("above this server's result limit of 8 MiB");
    const big = createImageGenerator({ maxResultBytes: 1024 * 1024 }).input.safeParse({
      prompt: 'x',
      size: '1024x1024',
    });
    expect(big.error?.issues[0]?.path).toEqual(['size']);
  });

  it('is registered, estimates time from the work, and wants no GPU when procedural', () => {
    const image = builtinGenerators.find((g) => g.name === 'image');
    expect(image?.requiresGpu).toBe(false);
    const small = image?.estimateSeconds(image.input.parse({ prompt: 'x', size: '256x256' }));
    const large = image?.estimateSeconds(
      image.input.parse({ prompt: 'x', size: '1024x1024', count: 8 }),
    );
    expect(large).toBeGreaterThan(small as number);
    expect(
      createImageGenerator({ provider: 'cog', cog: { url: 'http://127.0.0.1:1' } }).requiresGpu,
    ).toBe(true);
    expect(
      createImageGenerator({ provider: 'openai-images', openai: { baseUrl: 'http://127.0.0.1:1' } })
        .requiresGpu,
    ).toBe(false);
  });
});
