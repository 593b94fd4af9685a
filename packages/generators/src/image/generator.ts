import { createHash } from 'node:crypto';
import { satAdd, satMul } from '../cost.ts';
import { defineGenerator, type GenerationContext, type Generator } from '../generator.ts';
import {
  estimateImageBytes,
  MEDIA_METADATA_BYTES,
  MEDIA_METADATA_BYTES_PER_FILE,
} from '../media/limits.ts';
import { MEDIA_DEFAULTS } from '../media/settings.ts';
import { seedFromJobId } from '../media/random.ts';
import type { ImageSettings } from '../media/settings.ts';
import { trackStages } from '../media/stages.ts';
import type { ImageProvider } from '../media/types.ts';
import { createCogImageProvider } from '../providers/cog.ts';
import { createOpenAiImagesProvider } from '../providers/openai-images.ts';
import { safeRelativePath } from '../safe-path.ts';
import { createImageInputSchema, parseSize, type ImageInput } from './input.ts';
import { createProceduralImageProvider } from './procedural.ts';

export const IMAGE_METADATA_FILE = 'metadata.json';

/** The provider the settings choose; procedural unless configured otherwise. */
export function createImageProvider(settings: ImageSettings = {}): ImageProvider {
  switch (settings.provider ?? 'procedural') {
    case 'openai-images':
      return createOpenAiImagesProvider(settings);
    case 'cog':
      return createCogImageProvider(settings);
    default:
      return createProceduralImageProvider();
  }
}

/**
 * The `image` generator: `count` images of `size` from a prompt, through the provider the
 * settings choose (procedural, openai-images, cog). Writes image-1.png… (the extension is
 * the format the provider sent) and metadata.json (provider, model, seed, prompt, size,
 * timings). The input schema carries the limits (images per job, result bytes).
 */
export function createImageGenerator(
  settings: ImageSettings = {},
  provider: ImageProvider = createImageProvider(settings),
): Generator<ImageInput> {
  return defineGenerator<ImageInput>({
    name: 'image',
    description:
      `Images from a prompt (${provider.name} provider on this server): prompt, negative_prompt, count, size, seed. ` +
      'Writes image-1.png… and metadata.json (provider, model, seed, timings).',
    input: createImageInputSchema(settings),
    estimateSeconds: (input) =>
      provider.estimateSeconds({ count: input.count, ...parseSize(input.size) }),
    requiresGpu: provider.requiresGpu,
    // The procedural provider computes on the CPU; the others wait on a remote model.
    runsIn: provider.name === 'procedural' ? 'thread' : 'main',
    // Bytes: RGBA per image (the bound the schema already holds jobs to) plus a PNG's row
    // filters and headers, and metadata.json; work: provider requests, one per image at
    // most, each with its retries.
    worstCase(input) {
      const { width, height } = parseSize(input.size);
      const perImage = estimateImageBytes(1, width, height) + height + 64 * 1024;
      const outputBytes = satAdd(
        satMul(input.count, satAdd(perImage, MEDIA_METADATA_BYTES_PER_FILE)),
        MEDIA_METADATA_BYTES,
      );
      const work = satMul(input.count, 1 + (settings.maxRetries ?? MEDIA_DEFAULTS.maxRetries));
      return { outputBytes, work, parts: [{ path: ['count'], outputBytes, work }] };
    },
    run: (input, ctx) => runImage(provider, input, ctx),
  });
}

/** Unconfigured (procedural, default limits): enough to list the generator and validate input. */
export const imageGenerator = createImageGenerator();

async function runImage(provider: ImageProvider, input: ImageInput, ctx: GenerationContext) {
  const stages = trackStages(ctx);
  const { width, height } = parseSize(input.size);
  const seed = input.seed ?? seedFromJobId(ctx.jobId);
  stages.report('loading_model', 0, `image provider: ${provider.name}`);
  const result = await provider.generate(
    {
      prompt: input.prompt,
      negativePrompt: input.negative_prompt || undefined,
      count: input.count,
      width,
      height,
      seed,
    },
    { jobId: ctx.jobId, signal: ctx.signal, logger: ctx.logger, report: stages.provider },
  );
  ctx.signal.throwIfAborted();
  if (result.images.length === 0) throw new Error(`${provider.name} returned no images`);

  const files: Record<string, unknown>[] = [];
  for (const [index, image] of result.images.entries()) {
    ctx.signal.throwIfAborted();
    const name = safeRelativePath(`image-${index + 1}.${image.extension}`);
    stages.report('saving', index / result.images.length, `writing ${name}`);
    await ctx.output.writeFile(name, image.data);
    files.push({
      file: name,
      mime: image.mime,
      bytes: image.data.byteLength,
      sha256: createHash('sha256').update(image.data).digest('hex'),
      ...image.metadata,
    });
  }
  const timings = stages.timings();
  const metadata = {
    generator: 'image',
    provider: provider.name,
    model: result.model,
    prompt: input.prompt,
    negative_prompt: input.negative_prompt ?? null,
    seed,
    seed_given: input.seed !== undefined,
    size: input.size,
    width,
    height,
    count: input.count,
    images: files,
    timings_ms: timings,
    warnings: result.warnings,
    ...result.metadata,
  };
  ctx.signal.throwIfAborted();
  await ctx.output.writeFile(IMAGE_METADATA_FILE, `${JSON.stringify(metadata, null, 2)}\n`);
  stages.report('saving', 1, `wrote ${files.length} image${files.length === 1 ? '' : 's'}`);
  return {
    metadata: {
      provider: provider.name,
      model: result.model,
      seed,
      images: files.length,
      duration_ms: timings.total,
      ...(result.warnings.length > 0 ? { warnings: result.warnings } : {}),
    },
  };
}
