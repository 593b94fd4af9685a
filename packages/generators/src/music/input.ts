import { z } from 'zod';
import { estimateAudioBytes, formatBytes } from '../media/limits.ts';
import { MEDIA_DEFAULTS } from '../media/settings.ts';

export const AUDIO_FORMATS = ['wav'] as const;
export const MAX_PROMPT_LENGTH = 2_000;
export const MAX_SEED = 4_294_967_295;

export interface MusicLimits {
  /** Longest audio one job may ask for, in seconds. */
  maxSeconds: number;
  /** Cap on duration × 44,100 × 2 channels × 2 bytes. */
  maxResultBytes: number;
}

/**
 * The `music` input schema, built from the limits in force: the API validates jobs with it,
 * so a job over a limit is refused at submission, naming the field.
 */
export function createMusicInputSchema(limits: Partial<MusicLimits> = {}) {
  const maxSeconds = limits.maxSeconds ?? MEDIA_DEFAULTS.musicMaxSeconds;
  const maxResultBytes = limits.maxResultBytes ?? MEDIA_DEFAULTS.maxResultBytes;
  return z
    .object({
      prompt: z
        .string()
        .min(1)
        .max(MAX_PROMPT_LENGTH)
        .refine((s) => s.trim().length > 0, 'must not be blank')
        .describe(
          'What the music should sound like: mood, genre, instruments, tempo ("calm piano", "upbeat synthwave at 120 bpm, no drums").',
        ),
      duration: z
        .number()
        .int()
        .min(1)
        .max(maxSeconds, `at most ${maxSeconds} seconds per job on this server`)
        .default(Math.min(30, maxSeconds))
        .describe(`Length in whole seconds, 1–${maxSeconds}.`),
      format: z.enum(AUDIO_FORMATS).default('wav').describe('Audio format: 16-bit PCM WAV.'),
      seed: z
        .number()
        .int()
        .min(0)
        .max(MAX_SEED)
        .optional()
        .describe(
          'Same prompt, duration and seed give the same audio where the provider supports seeds. Default: derived from the job id.',
        ),
    })
    .strict()
    .superRefine((input, ctx) => {
      const bytes = estimateAudioBytes(input.duration);
      if (bytes > maxResultBytes) {
        ctx.addIssue({
          code: 'custom',
          path: ['duration'],
          message:
            `${input.duration} s of audio make up to ${formatBytes(bytes)} (44.1 kHz stereo 16-bit), ` +
            `above this server's result limit of ${formatBytes(maxResultBytes)}: ask for a shorter piece`,
        });
      }
    })
    .describe('Music from a prompt: built-in procedural synthesiser or a Cog model (MusicGen...).');
}

export type MusicInput = z.infer<ReturnType<typeof createMusicInputSchema>>;
