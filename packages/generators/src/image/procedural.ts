import { performance } from 'node:perf_hooks';
import { createYielder } from '../media/files.ts';
import { plural } from '../media/progress.ts';
import { combineSeeds } from '../media/random.ts';
import type { GeneratedImage, ImageProvider } from '../media/types.ts';
import { imageFeatures } from './features.ts';
import { encodePng } from './png.ts';
import { buildScene, renderRows } from './render.ts';

/** Seconds per megapixel on one core (render and encode), with headroom, for estimates. */
const SECONDS_PER_MEGAPIXEL = 0.25;

/**
 * The built-in image provider: no model, no network. Renders PNGs from the prompt's words
 * (palette, motifs, mood; see features.ts) and the seed: the n-th image uses seed + n - 1,
 * so image 1 of a job equals the single image of a job with the same prompt and seed. Renders in bands
 * of rows and yields to the event loop every ~15 ms, so a large image never stalls the
 * worker's lock renewals or progress events.
 */
export function createProceduralImageProvider(): ImageProvider {
  return {
    name: 'procedural',
    requiresGpu: false,
    estimateSeconds: (request) =>
      0.2 + (request.count * request.width * request.height * SECONDS_PER_MEGAPIXEL) / 1e6,
    async generate(request, ctx) {
      ctx.report('loading_model', 0, 'procedural renderer: no model to load');
      const featuresFor = (seed: number) =>
        imageFeatures(request.prompt, request.negativePrompt ?? '', seed);
      const features = featuresFor(request.seed);
      ctx.report(
        'encoding_prompt',
        0,
        features.matched.length > 0
          ? `prompt read: ${features.matched.slice(0, 8).join(', ')}`
          : 'prompt read: an abstract composition',
      );
      const images: GeneratedImage[] = [];
      const timings: { render_ms: number; encode_ms: number }[] = [];
      const drawn: Record<string, number>[] = [];
      const maybeYield = createYielder();
      const { width, height } = request;
      // Bands small enough that one takes a few milliseconds at any width.
      const band = Math.max(1, Math.floor(16_384 / width));
      for (let index = 0; index < request.count; index += 1) {
        const seed = (request.seed + index) >>> 0;
        const started = performance.now();
        // Each image is a function of the prompt and its own seed alone.
        const scene = buildScene(featuresFor(seed), width, height, combineSeeds(seed, 0x1));
        const rgba = new Uint8Array(width * height * 4);
        for (let y = 0; y < height; y += band) {
          ctx.signal.throwIfAborted();
          renderRows(scene, rgba, y, Math.min(height, y + band));
          const pause = maybeYield();
          if (pause) {
            await pause;
            ctx.report(
              'generating',
              (index + (0.8 * y) / height) / request.count,
              `rendering image ${index + 1} of ${request.count}`,
            );
          }
        }
        const rendered = performance.now();
        await maybeYield();
        ctx.signal.throwIfAborted();
        const bytes = await encodePng(rgba, width, height);
        timings.push({
          render_ms: Math.round(rendered - started),
          encode_ms: Math.round(performance.now() - rendered),
        });
        drawn.push(scene.drawn);
        images.push({ data: bytes, mime: 'image/png', extension: 'png', metadata: { seed } });
        ctx.report(
          'generating',
          (index + 1) / request.count,
          `rendered ${plural(index + 1, 'image')} of ${request.count}`,
        );
      }
      return {
        images,
        model: null,
        metadata: {
          renderer: 'procedural-v1',
          matched_words: features.matched,
          ...(features.removed.length > 0 ? { removed_by_negative_prompt: features.removed } : {}),
          motifs: features.motifs,
          drawn,
          image_timings_ms: timings,
        },
        warnings: [],
      };
    },
  };
}
