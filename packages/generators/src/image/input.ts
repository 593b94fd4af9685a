import { z } from 'zod';
import { estimateImageBytes, formatBytes } from '../media/limits.ts';
import { MEDIA_DEFAULTS } from '../media/settings.ts';

export const IMAGE_SIZES = [
  '256x256',
  '512x512',
  '768x768',
  '1024x1024',
  '1024x768',
  '768x1024',
  '1536x1024',
  '1024x1536',
  '1792x1024',
  '1024x1792',
] as const;
export type ImageSize = (typeof IMAGE_SIZES)[number];

export const MAX_PROMPT_LENGTH = 2_000;
export const MAX_SEED = 4_294_967_295;

export interface ImageLimits {
  /** Images one job may ask for. */
  maxCount: number;
  /** Cap on width × height × 4 × count. */
  maxResultBytes: number;
}

export function parseSize(size: ImageSize): { width: number; height: number } {
  const [width, height] = size.split('x').map(Number) as [number, number];
  return { width, height };
}

/**
 * The `image` input schema, built from the limits in force: the API validates jobs with it,
 * so a job over a limit is refused at submission, naming the field, and the published JSON
 * Schema shows the real maximum.
 */
export function createImageInputSchema(limits: Partial<ImageLimits> = {}) {
  const maxCount = limits.maxCount ?? MEDIA_DEFAULTS.imageMaxCount;
  const maxResultBytes = limits.maxResultBytes ?? MEDIA_DEFAULTS.maxResultBytes;
  return z
    .object({
      prompt: z
        .string()
        .min(1)
        .max(MAX_PROMPT_LENGTH)
        .refine((s) => s.trim().length > 0, 'must not be blank')
        .describe('What the images should show.'),
      negative_prompt: z
        .string()
        .max(MAX_PROMPT_LENGTH)
        .optional()
        .describe(
          'What the images should not show. Model servers that take no negative prompt get it appended to the prompt (see metadata.json).',
        ),
      count: z
        .number()
        .int()
        .min(1)
        .max(maxCount, `at most ${maxCount} images per job on this server`)
        .default(1)
        .describe(`How many images to make, 1–${maxCount}.`),
      size: z
        .enum(IMAGE_SIZES)
        .default('512x512')
        .describe('Width x height in pixels. Model servers may support only some sizes.'),
      seed: z
        .number()
        .int()
        .min(0)
        .max(MAX_SEED)
        .optional()
        .describe(
          'Same prompt, size and seed give the same images where the provider supports seeds. Default: derived from the job id.',
        ),
    })
    .strict()
    .superRefine((input, ctx) => {
      const { width, height } = parseSize(input.size);
      const bytes = estimateImageBytes(input.count, width, height);
      if (bytes > maxResultBytes) {
        ctx.addIssue({
          code: 'custom',
          path: [input.count > 1 ? 'count' : 'size'],
          message:
            `${input.count} × ${input.size} images make up to ${formatBytes(bytes)} (RGBA), ` +
            `above this server's result limit of ${formatBytes(maxResultBytes)}: ask for fewer or smaller images`,
        });
      }
    })
    .describe(
      'Images from a prompt: built-in procedural renderer, an OpenAI-compatible API or a Cog model.',
    );
}

export type ImageInput = z.infer<ReturnType<typeof createImageInputSchema>>;
