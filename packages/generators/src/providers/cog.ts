import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { UnrecoverableGenerationError, type Logger } from '@genq/core';
import { fetchMediaOutput, type FetchedMedia } from '../media/download.ts';
import { lastLogPercent, plural, startWaitTicker } from '../media/progress.ts';
import {
  MEDIA_DEFAULTS,
  type CogSettings,
  type ImageSettings,
  type MusicSettings,
} from '../media/settings.ts';
import type {
  GeneratedImage,
  ImageProvider,
  ImageRequest,
  MediaProviderContext,
  MusicProvider,
  MusicRequest,
} from '../media/types.ts';
import { sanitizeText } from './body.ts';
import {
  createProviderClient,
  type ProviderClient,
  type RetryInfo,
  type Sleep,
} from './http-client.ts';
import { ProviderError, UnrecoverableProviderError } from './provider-errors.ts';

/**
 * Cog's HTTP API (the server inside a model container built with Cog):
 *
 * - `POST /predictions` with `{id, input}` creates a prediction. A Cog container answers
 *   when it is done (synchronously); servers that answer at once (`Prefer: wait` not honoured,
 *   or a queue in front) send `starting` or `processing`, and the prediction is then polled
 *   with `GET /predictions/{id}` (or its `urls.get`) with a growing interval.
 * - Status lifecycle: `starting` → `processing` → `succeeded` | `failed` | `canceled`.
 * - When the job is cancelled (or the worker stops) mid-way, `POST /predictions/{id}/cancel`
 *   is sent (best effort) so the GPU is freed.
 * - Output: a data URI or a URL, or a list of them (files are data URIs unless the server
 *   uploads them), downloaded through the provider client.
 *
 * Failures: connection errors, 5xx and timeouts are retried by the provider client. A 409
 * (the container is busy with another prediction) fails the attempt so that the job is
 * retried later. `failed` is the model's own verdict on the input (bad size, a safety
 * filter...) and fails the job at once, unless its error reads as a transient condition
 * (out of memory, a timeout), which is retried.
 */

export const COG_STATUSES = ['starting', 'processing', 'succeeded', 'failed', 'canceled'] as const;
export type CogStatus = (typeof COG_STATUSES)[number];
const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'aborted']);

export const cogPredictionSchema = z
  .object({
    id: z.string().nullish(),
    status: z.string().min(1),
    output: z.unknown().optional(),
    error: z.unknown().optional(),
    logs: z.string().nullish(),
    metrics: z.record(z.string(), z.unknown()).nullish(),
    urls: z
      .object({ get: z.string().optional(), cancel: z.string().optional() })
      .passthrough()
      .nullish(),
  })
  .passthrough();

export type CogPrediction = z.infer<typeof cogPredictionSchema>;

/** A prediction whose model failed on this input: another attempt would fail the same way. */
export class CogPredictionFailedError extends UnrecoverableGenerationError {
  constructor(
    message: string,
    readonly predictionId: string,
    readonly modelError: string,
  ) {
    super(message);
    this.name = 'CogPredictionFailedError';
  }
}

/** Model errors that another attempt may well not hit. */
const TRANSIENT_MODEL_ERROR =
  /out of memory|CUDA error|cuda.*(busy|unavailable)|timed? ?out|temporar|connection (reset|refused|closed)|try again/i;

export interface CogPredictionOptions {
  client: ProviderClient;
  input: Record<string, unknown>;
  signal: AbortSignal;
  logger: Logger;
  /** Default: a random 26-character id, as Cog recommends. */
  id?: string;
  preferWait?: boolean;
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  predictionTimeoutMs?: number;
  sleep?: Sleep;
  /** Each answer about the prediction: the creation's, then each poll's. */
  onUpdate?: (prediction: CogPrediction) => void;
  onRetry?: (info: RetryInfo) => void;
}

export interface CogPredictionResult {
  id: string;
  prediction: CogPrediction;
  /** Polls after the creation answer. */
  polls: number;
  /** HTTP attempts in all, creation and polls. */
  attempts: number;
  durationMs: number;
  /** `metrics.predict_time` in seconds, when the server reported it. */
  predictTimeSeconds: number | null;
}

const defaultSleep: Sleep = async (ms, signal) => {
  await delay(ms, undefined, { signal });
};

/** 26 characters of base32 from 128 random bits, the form Cog's documentation recommends. */
export function newPredictionId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const bytes = randomBytes(17);
  let bits = 0;
  let value = 0;
  let id = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && id.length < 26) {
      id += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return id;
}

/** Runs one prediction to a terminal status; returns it when it succeeded. */
export async function runCogPrediction(
  options: CogPredictionOptions,
): Promise<CogPredictionResult> {
  const { client, signal, logger } = options;
  const id = options.id ?? newPredictionId();
  const sleep = options.sleep ?? defaultSleep;
  const pollIntervalMs = options.pollIntervalMs ?? MEDIA_DEFAULTS.pollIntervalMs;
  const maxPollIntervalMs = options.maxPollIntervalMs ?? MEDIA_DEFAULTS.maxPollIntervalMs;
  const timeoutMs = options.predictionTimeoutMs ?? MEDIA_DEFAULTS.predictionTimeoutMs;
  const started = performance.now();
  /** The latest answer about the prediction; undefined until the creation answered. */
  let last: CogPrediction | undefined;
  let predictionId = id;
  let attempts = 0;
  let polls = 0;

  const drive = async (): Promise<CogPrediction> => {
    let prediction: CogPrediction;
    try {
      const created = await client.requestJson({
        method: 'POST',
        path: '/predictions',
        body: { id, input: options.input },
        headers: options.preferWait === false ? {} : { prefer: 'wait' },
        schema: cogPredictionSchema,
        signal,
        onRetry: options.onRetry,
      });
      attempts += created.attempts;
      prediction = created.data;
    } catch (error) {
      throw busyIsRetryable(error);
    }
    last = prediction;
    predictionId = prediction.id ?? id;
    options.onUpdate?.(prediction);

    let wait = pollIntervalMs;
    while (!TERMINAL.has(prediction.status)) {
      const elapsed = performance.now() - started;
      if (elapsed > timeoutMs) {
        await cancelPrediction(client, prediction, predictionId, logger);
        throw new ProviderError(
          `Cog prediction ${predictionId} was still ${prediction.status} after ${Math.round(elapsed / 1000)} s; cancelled it`,
          { kind: 'timeout', attempts },
        );
      }
      await sleep(Math.min(wait, Math.max(0, timeoutMs - elapsed) + 1), signal);
      wait = Math.min(wait * 1.5, maxPollIntervalMs);
      const polled: { data: CogPrediction; attempts: number } = await client.requestJson({
        method: 'GET',
        path: prediction.urls?.get ?? `/predictions/${encodeURIComponent(predictionId)}`,
        schema: cogPredictionSchema,
        signal,
        onRetry: options.onRetry,
      });
      polls += 1;
      attempts += polled.attempts;
      prediction = { ...polled.data, urls: polled.data.urls ?? prediction.urls };
      last = prediction;
      options.onUpdate?.(prediction);
    }
    return prediction;
  };

  let prediction: CogPrediction;
  try {
    prediction = await drive();
  } catch (error) {
    if (signal.aborted) {
      if (!last || !TERMINAL.has(last.status)) {
        await cancelPrediction(client, last, predictionId, logger);
      }
      throw signal.reason;
    }
    throw error;
  }

  const result: CogPredictionResult = {
    id: predictionId,
    prediction,
    polls,
    attempts,
    durationMs: Math.round(performance.now() - started),
    predictTimeSeconds:
      typeof prediction.metrics?.predict_time === 'number' ? prediction.metrics.predict_time : null,
  };
  if (prediction.status === 'succeeded') return result;
  if (prediction.status === 'failed') {
    const modelError = describeModelError(prediction.error);
    const message = `Cog prediction ${predictionId} failed: ${modelError}`;
    if (TRANSIENT_MODEL_ERROR.test(modelError)) {
      throw new ProviderError(message, { kind: 'http', attempts, providerMessage: modelError });
    }
    throw new CogPredictionFailedError(message, predictionId, modelError);
  }
  // Cancelled by someone else (an operator, the server shutting down): worth another attempt.
  throw new ProviderError(`Cog prediction ${predictionId} was ${prediction.status} on the server`, {
    kind: 'http',
    attempts,
  });
}

/** Best effort: the job is over either way, so a failure here is only logged. */
async function cancelPrediction(
  client: ProviderClient,
  prediction: CogPrediction | undefined,
  id: string,
  logger: Logger,
): Promise<void> {
  const path = prediction?.urls?.cancel ?? `/predictions/${encodeURIComponent(id)}/cancel`;
  try {
    await client.requestJson({ method: 'POST', path, maxRetries: 1, timeoutMs: 10_000 });
    logger.info('cancelled the Cog prediction', { prediction_id: id });
  } catch (error) {
    logger.warn('could not cancel the Cog prediction', {
      prediction_id: id,
      error: (error as Error).message,
    });
  }
}

function busyIsRetryable(error: unknown): unknown {
  if (error instanceof UnrecoverableProviderError && error.status === 409) {
    return new ProviderError(
      `${error.message} (the Cog server is busy with another prediction; the job will be retried)`,
      {
        kind: 'http',
        status: 409,
        attempts: error.attempts,
        providerMessage: error.providerMessage,
      },
      { cause: error },
    );
  }
  return error;
}

function describeModelError(error: unknown): string {
  const text =
    typeof error === 'string'
      ? error
      : error === undefined || error === null
        ? 'no error message'
        : JSON.stringify(error);
  const clean = sanitizeText(text);
  return clean.length > 500 ? `${clean.slice(0, 500)}…` : clean || 'no error message';
}

/** Every file reference in a prediction's output: a string, a list, or an object's values. */
export function cogOutputRefs(output: unknown): string[] {
  const refs: string[] = [];
  const visit = (value: unknown, depth: number) => {
    if (depth > 4) return;
    if (typeof value === 'string') {
      if (/^(?:data:|https?:\/\/|\/)/i.test(value)) refs.push(value);
    } else if (Array.isArray(value)) {
      for (const item of value) visit(item, depth + 1);
    } else if (value !== null && typeof value === 'object') {
      for (const item of Object.values(value)) visit(item, depth + 1);
    }
  };
  visit(output, 0);
  return refs;
}

/** The provider client for a Cog server, from the generator's settings. */
export function createCogClient(
  settings: { cog?: CogSettings } & Pick<
    ImageSettings | MusicSettings,
    'timeoutMs' | 'maxRetries' | 'baseDelayMs' | 'maxDelayMs' | 'sleep' | 'fetch'
  >,
  logger: Logger,
  variable: string,
): ProviderClient {
  const url = settings.cog?.url;
  if (!url) {
    throw new UnrecoverableGenerationError(`the Cog provider is not configured: set ${variable}`);
  }
  try {
    return createProviderClient({
      name: 'Cog server',
      baseUrl: url,
      apiKey: settings.cog?.apiKey,
      timeoutMs: settings.timeoutMs ?? MEDIA_DEFAULTS.timeoutMs,
      maxRetries: settings.maxRetries ?? MEDIA_DEFAULTS.maxRetries,
      baseDelayMs: settings.baseDelayMs ?? MEDIA_DEFAULTS.baseDelayMs,
      maxDelayMs: settings.maxDelayMs ?? MEDIA_DEFAULTS.maxDelayMs,
      sleep: settings.sleep,
      fetch: settings.fetch,
      logger,
    });
  } catch (error) {
    throw new UnrecoverableGenerationError(
      `the Cog provider is misconfigured: ${variable} is not a usable URL (${(error as Error).message})`,
    );
  }
}

/** Maps a prediction's progress onto the job's stages: starting → loading_model, processing → generating. */
function progressReporter(
  ctx: MediaProviderContext,
  part: { index: number; total: number },
  expectedMs: number,
) {
  let stopTicker: (() => void) | undefined;
  let ticking = '';
  const label = part.total > 1 ? ` (prediction ${part.index + 1} of ${part.total})` : '';
  const within = (fraction: number) => (part.index + Math.min(0.99, fraction)) / part.total;
  const stop = () => {
    stopTicker?.();
    stopTicker = undefined;
    ticking = '';
  };
  /** Rising progress while the server says nothing more precise. */
  const tick = (what: string, now: boolean) => {
    if (ticking === what) return;
    stop();
    ticking = what;
    if (now) ctx.report('generating', within(0), `${what}${label}`);
    stopTicker = startWaitTicker(expectedMs, (fraction, seconds) =>
      ctx.report('generating', within(fraction), `${what}${label} (${seconds} s)`),
    );
  };
  return {
    update(prediction: CogPrediction) {
      if (prediction.status === 'starting') {
        ctx.report('loading_model', 0.5, `the model server is starting the prediction${label}`);
      } else if (prediction.status === 'processing') {
        const percent = lastLogPercent(prediction.logs);
        if (percent === undefined) {
          tick('the model is working', true);
        } else {
          stop();
          ctx.report('generating', within(percent / 100), `the model is at ${percent}%${label}`);
        }
      }
    },
    /** A server answering synchronously says nothing until it is done: rising progress from 1 s on. */
    waiting: () => tick('waiting for the model server', false),
    retry(info: RetryInfo) {
      ctx.report(
        'generating',
        within(0),
        `attempt ${info.attempt + 1} of ${info.maxAttempts}${label} after: ${info.message}`,
      );
    },
    stop,
  };
}

/** Seconds a Cog image model takes per image, for estimates (an SDXL-class model on one GPU). */
const COG_IMAGE_SECONDS = { startup: 5, perMegapixel: 6 } as const;

/** Images from any Cog image model taking `prompt`, `negative_prompt`, `num_outputs`, `width`, `height`, `seed`. */
export function createCogImageProvider(settings: ImageSettings = {}): ImageProvider {
  const cog = settings.cog ?? {};
  const perPrediction = cog.maxOutputsPerPrediction ?? MEDIA_DEFAULTS.cogMaxOutputsPerPrediction;
  const estimate = (request: Pick<ImageRequest, 'count' | 'width' | 'height'>) =>
    Math.ceil(request.count / perPrediction) * COG_IMAGE_SECONDS.startup +
    (request.count * request.width * request.height * COG_IMAGE_SECONDS.perMegapixel) / 1e6;

  return {
    name: 'cog',
    requiresGpu: true,
    estimateSeconds: estimate,
    async generate(request, ctx) {
      const client = createCogClient(settings, ctx.logger, 'COG_IMAGE_URL');
      ctx.report('loading_model', 0, 'sending the prediction to the Cog server');
      const images: GeneratedImage[] = [];
      const predictions: Record<string, unknown>[] = [];
      const warnings: string[] = [];
      const total = Math.ceil(request.count / perPrediction);
      let attempts = 0;
      for (let index = 0; index < total && images.length < request.count; index += 1) {
        const asked = Math.min(perPrediction, request.count - images.length);
        // The first prediction uses the job's seed; later ones the seed of their first image.
        const seed = (request.seed + images.length) >>> 0;
        const input: Record<string, unknown> = {
          ...cog.input,
          prompt: request.prompt,
          num_outputs: asked,
          width: request.width,
          height: request.height,
          seed,
        };
        if (request.negativePrompt) input.negative_prompt = request.negativePrompt;
        const progress = progressReporter(
          ctx,
          { index, total },
          estimate({ ...request, count: asked }) * 1000,
        );
        progress.waiting();
        let run: CogPredictionResult;
        try {
          run = await runCogPrediction({
            client,
            input,
            signal: ctx.signal,
            logger: ctx.logger,
            preferWait: cog.preferWait,
            pollIntervalMs: cog.pollIntervalMs,
            maxPollIntervalMs: cog.maxPollIntervalMs,
            predictionTimeoutMs: cog.predictionTimeoutMs,
            sleep: settings.sleep,
            onUpdate: (p) => progress.update(p),
            onRetry: (info) => progress.retry(info),
          });
        } finally {
          progress.stop();
        }
        attempts += run.attempts;
        const refs = cogOutputRefs(run.prediction.output);
        if (refs.length === 0) {
          throw new UnrecoverableGenerationError(
            `Cog prediction ${run.id} succeeded without an image in its output`,
          );
        }
        if (refs.length < asked) {
          warnings.push(
            `prediction ${run.id} returned ${plural(refs.length, 'image')} of ${asked} asked (a safety filter may have removed some)`,
          );
        }
        for (const [i, ref] of refs.slice(0, asked).entries()) {
          ctx.signal.throwIfAborted();
          const file: FetchedMedia = await fetchMediaOutput(client, ref, {
            kind: 'image',
            signal: ctx.signal,
            label: `Cog output ${images.length + 1}`,
          });
          attempts += file.attempts;
          images.push({
            data: file.bytes,
            mime: file.mime,
            extension: file.extension,
            metadata: { prediction_id: run.id, seed: asked > 1 ? null : seed, source: file.source },
          });
          ctx.report(
            'generating',
            (index + (i + 1) / asked) / total,
            `received ${plural(images.length, 'image')} of ${request.count}`,
          );
        }
        predictions.push({
          id: run.id,
          seed,
          num_outputs: asked,
          polls: run.polls,
          duration_ms: run.durationMs,
          predict_time_s: run.predictTimeSeconds,
        });
      }
      return {
        images,
        model: modelName(cog),
        metadata: { server: safeHost(cog.url), predictions, attempts },
        warnings,
      };
    },
  };
}

/** Seconds a Cog music model takes per second of audio (MusicGen medium on one GPU), plus start-up. */
const COG_MUSIC_SECONDS = { startup: 10, perSecond: 1.5 } as const;

/** Audio from any Cog music model taking `prompt`, `duration`, `seed`, `output_format` (MusicGen...). */
export function createCogMusicProvider(settings: MusicSettings = {}): MusicProvider {
  const cog = settings.cog ?? {};
  const estimate = (request: Pick<MusicRequest, 'durationSeconds'>) =>
    COG_MUSIC_SECONDS.startup + request.durationSeconds * COG_MUSIC_SECONDS.perSecond;
  return {
    name: 'cog',
    requiresGpu: true,
    estimateSeconds: estimate,
    async generate(request, ctx) {
      const client = createCogClient(settings, ctx.logger, 'COG_MUSIC_URL');
      ctx.report('loading_model', 0, 'sending the prediction to the Cog server');
      const progress = progressReporter(ctx, { index: 0, total: 1 }, estimate(request) * 1000);
      progress.waiting();
      let run: CogPredictionResult;
      try {
        run = await runCogPrediction({
          client,
          input: {
            ...cog.input,
            prompt: request.prompt,
            duration: request.durationSeconds,
            seed: request.seed,
            output_format: request.format,
          },
          signal: ctx.signal,
          logger: ctx.logger,
          preferWait: cog.preferWait,
          pollIntervalMs: cog.pollIntervalMs,
          maxPollIntervalMs: cog.maxPollIntervalMs,
          predictionTimeoutMs: cog.predictionTimeoutMs,
          sleep: settings.sleep,
          onUpdate: (p) => progress.update(p),
          onRetry: (info) => progress.retry(info),
        });
      } finally {
        progress.stop();
      }
      const [ref, ...rest] = cogOutputRefs(run.prediction.output);
      if (ref === undefined) {
        throw new UnrecoverableGenerationError(
          `Cog prediction ${run.id} succeeded without an audio file in its output`,
        );
      }
      const file = await fetchMediaOutput(client, ref, {
        kind: 'audio',
        signal: ctx.signal,
        label: 'Cog output',
      });
      ctx.report('generating', 1, 'received the audio');
      const warnings: string[] = [];
      if (file.extension !== request.format) {
        warnings.push(`the model returned ${file.mime} although ${request.format} was asked`);
      }
      if (rest.length > 0)
        warnings.push(`the model returned ${rest.length + 1} files; kept the first`);
      return {
        audio: { data: file.bytes, mime: file.mime, extension: file.extension },
        model: modelName(cog),
        metadata: {
          server: safeHost(cog.url),
          prediction_id: run.id,
          polls: run.polls,
          attempts: run.attempts + file.attempts,
          predict_time_s: run.predictTimeSeconds,
          source: file.source,
        },
        warnings,
      };
    },
  };
}

/** A Cog container serves one model; its name, when the settings' extra input names one. */
function modelName(cog: CogSettings): string | null {
  const named = cog.input?.model_version ?? cog.input?.model;
  return typeof named === 'string' ? named : null;
}

function safeHost(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}
