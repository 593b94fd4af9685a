import { z } from 'zod';
import { UnrecoverableGenerationError, type Logger } from '@genq/core';
import { fetchMediaOutput } from '../media/download.ts';
import { decodeDataUri, sniffMedia } from '../media/files.ts';
import { plural, startWaitTicker } from '../media/progress.ts';
import { MEDIA_DEFAULTS, type ImageSettings } from '../media/settings.ts';
import type { GeneratedImage, ImageProvider } from '../media/types.ts';
import { createProviderClient, type ProviderClient } from './http-client.ts';
import { ProviderError } from './provider-errors.ts';

/**
 * Any OpenAI-compatible `POST /images/generations` endpoint (OpenAI, Azure-style gateways,
 * LocalAI...): `{model, prompt, n, size, response_format}` in, `{data: [{b64_json} | {url}]}`
 * out. URLs are downloaded through the provider client (the key is not sent to another
 * host). A job of more images than one request may ask for (`maxImagesPerRequest`; dall-e-3
 * takes 1) is split into several requests.
 *
 * The API has no seed (the images are not reproducible; metadata.json says so) and no
 * negative prompt (see `negativePrompt` in the settings).
 */

const imageItemSchema = z
  .object({
    b64_json: z.string().nullish(),
    url: z.string().nullish(),
    revised_prompt: z.string().nullish(),
  })
  .passthrough();

const imagesResponseSchema = z
  .object({
    created: z.number().optional(),
    data: z.array(imageItemSchema),
    usage: z.record(z.string(), z.unknown()).nullish(),
  })
  .passthrough();

export const OPENAI_IMAGES_NOT_CONFIGURED =
  'the openai-images provider is not configured: set IMAGE_API_BASE_URL (and IMAGE_API_KEY)';

/** Seconds an image API takes per image, for estimates. */
const SECONDS_PER_IMAGE = 10;

/** Most images one answer may carry as base64 before it is refused (bytes of the body). */
const MAX_ANSWER_BYTES = 128 * 1024 * 1024;

export function createOpenAiImagesProvider(settings: ImageSettings = {}): ImageProvider {
  const api = settings.openai ?? {};
  const perRequest = api.maxImagesPerRequest ?? MEDIA_DEFAULTS.openAiMaxImagesPerRequest;
  const negativeMode = api.negativePrompt ?? 'append';
  const responseFormat = api.responseFormat ?? 'b64_json';

  return {
    name: 'openai-images',
    requiresGpu: false,
    estimateSeconds: (request) => 2 + request.count * SECONDS_PER_IMAGE,
    async generate(request, ctx) {
      ctx.report('loading_model', 0, 'preparing the request');
      const client = createClient(settings, ctx.logger);
      const warnings: string[] = [];
      let prompt = request.prompt;
      const body: Record<string, unknown> = {};
      if (request.negativePrompt) {
        if (negativeMode === 'append') {
          prompt = `${prompt}\n\nAvoid: ${request.negativePrompt}`;
          warnings.push('the API takes no negative prompt: it was appended to the prompt');
        } else if (negativeMode === 'field') {
          body.negative_prompt = request.negativePrompt;
        } else {
          warnings.push('the API takes no negative prompt: it was not used');
        }
      }
      warnings.push('the API takes no seed: the images are not reproducible');
      ctx.report(
        'encoding_prompt',
        0,
        `asking ${api.model ?? 'the default model'} for ${plural(request.count, 'image')}`,
      );

      const images: GeneratedImage[] = [];
      const requests: Record<string, unknown>[] = [];
      let attempts = 0;
      let emptyAnswers = 0;
      while (images.length < request.count) {
        const n = Math.min(perRequest, request.count - images.length);
        const done = images.length;
        const label = `${plural(n, 'image')} (${done + 1}–${done + n} of ${request.count})`;
        ctx.report('generating', done / request.count, `waiting for ${label}`);
        const stopTicker = startWaitTicker(n * SECONDS_PER_IMAGE * 1000, (fraction, seconds) =>
          ctx.report(
            'generating',
            (done + fraction * n * 0.95) / request.count,
            `waiting for ${label} (${seconds} s)`,
          ),
        );
        let answer;
        try {
          answer = await client.requestJson({
            method: 'POST',
            path: '/images/generations',
            body: {
              ...(api.model ? { model: api.model } : {}),
              prompt,
              n,
              size: `${request.width}x${request.height}`,
              ...(responseFormat === 'none' ? {} : { response_format: responseFormat }),
              ...body,
            },
            schema: imagesResponseSchema,
            errorInBody: true,
            signal: ctx.signal,
            onRetry: (info) =>
              ctx.report(
                'generating',
                done / request.count,
                `attempt ${info.attempt + 1} of ${info.maxAttempts} after: ${info.message}`,
              ),
          });
        } finally {
          stopTicker();
        }
        attempts += answer.attempts;
        requests.push({ n, received: answer.data.data.length, duration_ms: answer.durationMs });
        if (answer.data.data.length === 0) {
          // Seen from gateways when the upstream model failed; give it one more chance.
          emptyAnswers += 1;
          if (emptyAnswers > 1) {
            throw new ProviderError('image API answered twice without any image', {
              kind: 'invalid_response',
              attempts,
            });
          }
          continue;
        }
        for (const [i, item] of answer.data.data.slice(0, n).entries()) {
          ctx.signal.throwIfAborted();
          const image = await readImage(client, item, `image ${images.length + 1}`, ctx.signal);
          attempts += image.attempts;
          images.push({
            data: image.bytes,
            mime: image.mime,
            extension: image.extension,
            metadata: {
              source: image.source,
              ...(item.revised_prompt ? { revised_prompt: item.revised_prompt } : {}),
            },
          });
          ctx.report(
            'generating',
            (done + i + 1) / request.count,
            `received ${plural(images.length, 'image')} of ${request.count}`,
          );
        }
      }
      return {
        images,
        model: api.model ?? null,
        metadata: {
          server: host(api.baseUrl),
          requests,
          attempts,
          response_format: responseFormat,
          seed_applied: false,
          negative_prompt_mode: request.negativePrompt ? negativeMode : null,
          prompt_sent: prompt,
        },
        warnings,
      };
    },
  };
}

function createClient(settings: ImageSettings, logger: Logger): ProviderClient {
  const api = settings.openai ?? {};
  if (!api.baseUrl) throw new UnrecoverableGenerationError(OPENAI_IMAGES_NOT_CONFIGURED);
  try {
    return createProviderClient({
      name: 'image API',
      baseUrl: api.baseUrl,
      apiKey: api.apiKey,
      headers: api.headers,
      timeoutMs: settings.timeoutMs ?? MEDIA_DEFAULTS.timeoutMs,
      maxRetries: settings.maxRetries ?? MEDIA_DEFAULTS.maxRetries,
      baseDelayMs: settings.baseDelayMs ?? MEDIA_DEFAULTS.baseDelayMs,
      maxDelayMs: settings.maxDelayMs ?? MEDIA_DEFAULTS.maxDelayMs,
      maxResponseBytes: MAX_ANSWER_BYTES,
      sleep: settings.sleep,
      fetch: settings.fetch,
      logger,
    });
  } catch (error) {
    throw new UnrecoverableGenerationError(
      `the openai-images provider is misconfigured: IMAGE_API_BASE_URL is not a usable URL (${(error as Error).message})`,
    );
  }
}

async function readImage(
  client: ProviderClient,
  item: z.infer<typeof imageItemSchema>,
  label: string,
  signal: AbortSignal,
) {
  if (item.b64_json) {
    const inline = item.b64_json.startsWith('data:')
      ? decodeDataUri(item.b64_json)?.bytes
      : Buffer.from(item.b64_json, 'base64');
    const bytes = inline ?? new Uint8Array(0);
    const sniffed = sniffMedia(bytes);
    if (!sniffed || !sniffed.mime.startsWith('image/')) {
      throw new UnrecoverableGenerationError(
        `${label}: b64_json does not hold an image (${bytes.byteLength} bytes)`,
      );
    }
    return { ...sniffed, bytes, source: 'b64_json', attempts: 0 };
  }
  if (item.url) {
    return fetchMediaOutput(client, item.url, { kind: 'image', signal, label });
  }
  throw new UnrecoverableGenerationError(`${label}: the answer has neither b64_json nor url`);
}

function host(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}
