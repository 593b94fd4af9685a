import { z } from 'zod';
import { envBoolean, parseEnv } from '@genq/core';
import type { Sleep } from '../providers/http-client.ts';

export const IMAGE_PROVIDERS = ['procedural', 'openai-images', 'cog'] as const;
export type ImageProviderName = (typeof IMAGE_PROVIDERS)[number];
export const MUSIC_PROVIDERS = ['procedural', 'cog'] as const;
export type MusicProviderName = (typeof MUSIC_PROVIDERS)[number];

/** How the HTTP providers call their server (see providers/README.md). */
export interface MediaClientSettings {
  /** Per HTTP attempt; a Cog prediction answered synchronously is one attempt. Default 600,000. */
  timeoutMs?: number;
  /** Retries within one job attempt. Default 2. */
  maxRetries?: number;
  /** Default 1,000. */
  baseDelayMs?: number;
  /** Default 30,000. */
  maxDelayMs?: number;
  /** For tests: replaces the wait between retries and between polls. */
  sleep?: Sleep;
  /** For tests: replaces the global fetch. */
  fetch?: typeof fetch;
}

/** An OpenAI-compatible `/images/generations` endpoint (OpenAI, LocalAI, a gateway...). */
export interface OpenAiImagesSettings {
  /** API root, e.g. `https://api.openai.com/v1`. Unset: not configured. */
  baseUrl?: string;
  apiKey?: string;
  /** Sent as `model`; left out when unset (the server's default). */
  model?: string;
  /** `b64_json` (default), `url`, or `none` to leave the field out (gpt-image models). */
  responseFormat?: 'b64_json' | 'url' | 'none';
  /** Images one request may ask for (`n`); dall-e-3 takes 1. Default 10. */
  maxImagesPerRequest?: number;
  /**
   * The API has no negative prompt: `append` it to the prompt as "Avoid: …" (default),
   * `ignore` it (recorded in metadata.json), or send it as a `negative_prompt` `field`
   * (servers that take one).
   */
  negativePrompt?: 'append' | 'ignore' | 'field';
  headers?: Record<string, string>;
}

/** A Cog model container (`cog predict` serving its HTTP API), or a server speaking its protocol. */
export interface CogSettings {
  /** e.g. `http://gpu-box:5000`. Unset: not configured. */
  url?: string;
  /** Sent as a bearer token, for a Cog server behind an authenticating proxy. */
  apiKey?: string;
  /** Extra model inputs merged into every prediction (`{"scheduler": "K_EULER"}`). */
  input?: Record<string, unknown>;
  /** Send `Prefer: wait` (servers that would otherwise answer at once). Default true. */
  preferWait?: boolean;
  /** First wait between two polls of an unfinished prediction; grows 1.5× a poll. Default 1,000. */
  pollIntervalMs?: number;
  /** Default 10,000. */
  maxPollIntervalMs?: number;
  /** A prediction still unfinished after this is cancelled and the attempt fails. Default 30 min. */
  predictionTimeoutMs?: number;
  /** Images one prediction may make (`num_outputs`); more are asked in further predictions. Default 4. */
  maxOutputsPerPrediction?: number;
}

export interface ImageSettings extends MediaClientSettings {
  /** Default `procedural`. */
  provider?: ImageProviderName;
  openai?: OpenAiImagesSettings;
  cog?: CogSettings;
  /** Images one job may ask for. Default 10. */
  maxCount?: number;
  /** Cap on a job's result, estimated as width × height × 4 × count. Default 256 MiB. */
  maxResultBytes?: number;
}

export interface MusicSettings extends MediaClientSettings {
  /** Default `procedural`. */
  provider?: MusicProviderName;
  cog?: CogSettings;
  /** Longest audio one job may ask for, in seconds. Default 120. */
  maxSeconds?: number;
  /** Cap on a job's result, estimated as duration × 44,100 × 2 channels × 2 bytes. Default 256 MiB. */
  maxResultBytes?: number;
}

export interface MediaSettings {
  image: ImageSettings;
  music: MusicSettings;
}

export const MEDIA_DEFAULTS = {
  imageMaxCount: 10,
  musicMaxSeconds: 120,
  maxResultBytes: 256 * 1024 * 1024,
  timeoutMs: 600_000,
  maxRetries: 2,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  pollIntervalMs: 1_000,
  maxPollIntervalMs: 10_000,
  predictionTimeoutMs: 30 * 60_000,
  openAiMaxImagesPerRequest: 10,
  cogMaxOutputsPerPrediction: 4,
} as const;

/** An unset variable and an empty one (`FOO=` in a compose file) mean the same. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const jsonObject = z.string().transform((text, ctx) => {
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // reported below
  }
  ctx.addIssue({ code: 'custom', message: 'must be a JSON object, e.g. {"steps": 30}' });
  return z.NEVER;
});

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** The environment variables of the media generators, as the worker and the API read them. */
export const mediaEnvSchema = z
  .object({
    GENQ_IMAGE_PROVIDER: optional(z.enum(IMAGE_PROVIDERS)),
    IMAGE_API_BASE_URL: optional(z.string().url()),
    IMAGE_API_KEY: optional(z.string()),
    IMAGE_MODEL: optional(z.string().min(1).max(200)),
    IMAGE_RESPONSE_FORMAT: optional(z.enum(['b64_json', 'url', 'none'])),
    IMAGE_API_MAX_N: optional(int(1, 100)),
    IMAGE_NEGATIVE_PROMPT: optional(z.enum(['append', 'ignore', 'field'])),
    COG_IMAGE_URL: optional(z.string().url()),
    COG_IMAGE_INPUT: optional(jsonObject),
    COG_IMAGE_MAX_OUTPUTS: optional(int(1, 100)),
    GENQ_MUSIC_PROVIDER: optional(z.enum(MUSIC_PROVIDERS)),
    COG_MUSIC_URL: optional(z.string().url()),
    COG_MUSIC_INPUT: optional(jsonObject),
    COG_API_KEY: optional(z.string()),
    COG_PREFER_WAIT: optional(envBoolean),
    COG_PREDICTION_TIMEOUT_MS: optional(int(1_000, 24 * 3_600_000)),
    GENQ_MEDIA_TIMEOUT_MS: optional(int(1_000, 24 * 3_600_000)),
    GENQ_MEDIA_MAX_RETRIES: optional(int(0, 10)),
    GENQ_IMAGE_MAX_COUNT: optional(int(1, 100)),
    GENQ_MUSIC_MAX_SECONDS: optional(int(1, 3_600)),
    GENQ_MAX_RESULT_BYTES: optional(int(1_024, Number.MAX_SAFE_INTEGER)),
  })
  .superRefine((env, ctx) => {
    const need = (when: boolean, variable: keyof typeof env, why: string) => {
      if (when && env[variable] === undefined) {
        ctx.addIssue({ code: 'custom', path: [variable], message: `required ${why}` });
      }
    };
    need(
      env.GENQ_IMAGE_PROVIDER === 'openai-images',
      'IMAGE_API_BASE_URL',
      'when GENQ_IMAGE_PROVIDER=openai-images',
    );
    need(env.GENQ_IMAGE_PROVIDER === 'cog', 'COG_IMAGE_URL', 'when GENQ_IMAGE_PROVIDER=cog');
    need(env.GENQ_MUSIC_PROVIDER === 'cog', 'COG_MUSIC_URL', 'when GENQ_MUSIC_PROVIDER=cog');
  });

export type MediaEnv = z.infer<typeof mediaEnvSchema>;

/**
 * The `image` and `music` settings from environment variables (see docs/generators.md),
 * checked with zod: throws a readable list of problems. Spread the result into
 * `createBuiltinGenerators({ llm, ...mediaSettingsFromEnv(process.env) })`. The API must
 * build its generators the same way, so that the limits apply at submission.
 */
export function mediaSettingsFromEnv(env: NodeJS.ProcessEnv): MediaSettings {
  const e = parseEnv(mediaEnvSchema, env);
  const client: MediaClientSettings = {
    timeoutMs: e.GENQ_MEDIA_TIMEOUT_MS,
    maxRetries: e.GENQ_MEDIA_MAX_RETRIES,
  };
  const cog = (url: string | undefined, input: Record<string, unknown> | undefined) =>
    url === undefined
      ? undefined
      : {
          url,
          apiKey: e.COG_API_KEY,
          input,
          preferWait: e.COG_PREFER_WAIT,
          predictionTimeoutMs: e.COG_PREDICTION_TIMEOUT_MS,
        };
  return {
    image: prune({
      ...client,
      provider: e.GENQ_IMAGE_PROVIDER,
      openai:
        e.IMAGE_API_BASE_URL === undefined
          ? undefined
          : prune({
              baseUrl: e.IMAGE_API_BASE_URL,
              apiKey: e.IMAGE_API_KEY,
              model: e.IMAGE_MODEL,
              responseFormat: e.IMAGE_RESPONSE_FORMAT,
              maxImagesPerRequest: e.IMAGE_API_MAX_N,
              negativePrompt: e.IMAGE_NEGATIVE_PROMPT,
            }),
      cog: prune({
        ...cog(e.COG_IMAGE_URL, e.COG_IMAGE_INPUT),
        maxOutputsPerPrediction: e.COG_IMAGE_MAX_OUTPUTS,
      }),
      maxCount: e.GENQ_IMAGE_MAX_COUNT,
      maxResultBytes: e.GENQ_MAX_RESULT_BYTES,
    }),
    music: prune({
      ...client,
      provider: e.GENQ_MUSIC_PROVIDER,
      cog: prune(cog(e.COG_MUSIC_URL, e.COG_MUSIC_INPUT) ?? {}),
      maxSeconds: e.GENQ_MUSIC_MAX_SECONDS,
      maxResultBytes: e.GENQ_MAX_RESULT_BYTES,
    }),
  };
}

/** Drops undefined fields and empty objects, so defaults apply and the result reads cleanly. */
function prune<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) {
      continue;
    }
    out[key] = v;
  }
  return out as T;
}
