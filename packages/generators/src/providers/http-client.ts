import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { z } from 'zod';
import type { Logger } from '@genq/core';
import {
  bodyExcerpt,
  inBodyErrorStatus,
  isJsonMediaType,
  isPlainObject,
  mediaType,
  providerErrorMessage,
  sanitizeText,
} from './body.ts';
import {
  ProviderError,
  UnrecoverableProviderError,
  type ProviderFailureKind,
} from './provider-errors.ts';
import {
  backoffDelayMs,
  describeNetworkError,
  isRetryableStatus,
  retryAfterMs,
} from './retry-policy.ts';

/** Waits `ms`, rejecting early when `signal` aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface ProviderClientOptions {
  /** Base URL requests are relative to, e.g. `https://openrouter.ai/api/v1`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …`, only to the base URL's origin. Never logged. */
  apiKey?: string;
  /** Extra headers on every request (e.g. OpenRouter's `HTTP-Referer`, `X-Title`). */
  headers?: Record<string, string>;
  /** Per attempt: connecting, waiting for the answer and reading its body. */
  timeoutMs: number;
  /** Retries after the first attempt: at most maxRetries + 1 attempts. */
  maxRetries: number;
  /** First backoff; doubles per retry, ±25% jitter. */
  baseDelayMs: number;
  /** Cap for a backoff and for a provider's Retry-After. */
  maxDelayMs: number;
  logger: Logger;
  /** Names the provider in messages and logs, e.g. "LLM provider". */
  name?: string;
  /** Largest body accepted (JSON or bytes); default 32 MiB. */
  maxResponseBytes?: number;
  /** For tests: replaces the real wait between attempts. */
  sleep?: Sleep;
  /** For tests: replaces Math.random in the jitter. */
  random?: () => number;
  /** For tests: replaces the global fetch. */
  fetch?: typeof fetch;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RetryInfo {
  /** The attempt that failed (1 for the first). */
  attempt: number;
  maxAttempts: number;
  delayMs: number;
  kind: ProviderFailureKind;
  status: number | undefined;
  /** Readable cause, sanitised. */
  message: string;
}

export interface ProviderRequestOptions {
  method?: HttpMethod;
  /** Relative to the base URL (`/chat/completions`), or an absolute URL (a download link). */
  path: string;
  /** Sent as JSON when defined. */
  body?: unknown;
  headers?: Record<string, string>;
  /** The job's signal: when it aborts, the call stops at once and rethrows its reason. */
  signal?: AbortSignal;
  /** Overrides the client's per-attempt timeout. */
  timeoutMs?: number;
  /** Overrides the client's retry count. */
  maxRetries?: number;
  /** Called before each wait for a retry (progress messages, metrics). */
  onRetry?: (info: RetryInfo) => void;
}

export interface JsonRequestOptions<T> extends ProviderRequestOptions {
  /** Validates a success body; a mismatch fails without retry (the reply is not usable). */
  schema?: z.ZodType<T>;
  /**
   * Treat a success body carrying a top-level `error` as a failure with the status in
   * `error.code` (502 when absent): OpenAI-compatible gateways such as OpenRouter answer 200
   * when the upstream model failed. Off by default: for Cog, `error` is a normal field.
   */
  errorInBody?: boolean;
}

export interface BytesRequestOptions extends ProviderRequestOptions {
  /** Accepted media types of a success body, e.g. /^image\//; any when absent. */
  accept?: RegExp;
  /** Overrides the client's body size cap for this download. */
  maxBytes?: number;
}

export interface ProviderResponse<T> {
  data: T;
  status: number;
  headers: Headers;
  /** The media type of the body, lower-cased ('' when absent). */
  contentType: string;
  /** Attempts made, the successful one included. */
  attempts: number;
  /** From the first attempt to the end of the successful one, waits included. */
  durationMs: number;
}

export interface ProviderClient {
  readonly baseUrl: string;
  requestJson<T = Record<string, unknown>>(
    options: JsonRequestOptions<T>,
  ): Promise<ProviderResponse<T>>;
  requestBytes(options: BytesRequestOptions): Promise<ProviderResponse<Uint8Array>>;
}

/** The most of a response body that is read (a larger one fails the request). */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
/** Enough of an error body for its message; the rest is not read. */
const ERROR_BODY_BYTES = 64 * 1024;
const NEVER_ABORTED = new AbortController().signal;

const defaultSleep: Sleep = async (ms, signal) => {
  await delay(ms, undefined, { signal });
};

/** Why one attempt failed: thrown inside an attempt, handled by the retry loop. */
class AttemptFailure extends Error {
  constructor(
    readonly kind: ProviderFailureKind,
    message: string,
    readonly retryable: boolean,
    readonly extra: { status?: number; providerMessage?: string; retryAfterMs?: number } = {},
  ) {
    super(message);
  }
}

class BodyTooLarge extends Error {}

/**
 * One HTTP client for model providers (chat completions, image and audio APIs, Cog
 * containers), on Node's global fetch. Checks the content type before parsing, retries
 * transient failures with exponential backoff (see retry-policy.ts), has a timeout per
 * attempt, and stops at once when the job's signal aborts.
 */
export function createProviderClient(options: ProviderClientOptions): ProviderClient {
  const base = new URL(options.baseUrl);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new Error(`provider base URL must be http(s), got ${base.protocol}`);
  }
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const name = options.name ?? 'provider';
  const secrets = options.apiKey ? [options.apiKey] : [];
  const sleep = options.sleep ?? defaultSleep;
  const fetchImpl = options.fetch ?? fetch;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;

  const resolveUrl = (path: string): URL => {
    if (/^https?:\/\//i.test(path)) return new URL(path);
    return new URL(`${baseUrl}/${path.replace(/^\/+/, '')}`);
  };

  const clean = (text: string): string => sanitizeText(text, secrets);

  async function execute<T>(
    request: ProviderRequestOptions,
    accept: string,
    read: (response: Response) => Promise<T>,
  ): Promise<ProviderResponse<T>> {
    const method = request.method ?? (request.body === undefined ? 'GET' : 'POST');
    const url = resolveUrl(request.path);
    // Host and path only: a query string may carry a token.
    const label = `${method} ${url.host}${url.pathname}`;
    const jobSignal = request.signal ?? NEVER_ABORTED;
    const maxAttempts = Math.max(0, request.maxRetries ?? options.maxRetries) + 1;
    const timeoutMs = request.timeoutMs ?? options.timeoutMs;
    // The key and the client's headers go to the provider's own origin only, never to
    // another host (a download link on a CDN).
    const ownOrigin = url.origin === base.origin;
    const headers: Record<string, string> = {
      accept,
      'user-agent': 'genq',
      ...(ownOrigin ? options.headers : {}),
      ...request.headers,
    };
    if (options.apiKey && ownOrigin) headers.authorization = `Bearer ${options.apiKey}`;
    let body: string | undefined;
    if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers['content-type'] = 'application/json';
    }
    const started = performance.now();

    for (let attempt = 1; ; attempt += 1) {
      jobSignal.throwIfAborted();
      let failure: AttemptFailure;
      try {
        const timeout = AbortSignal.timeout(timeoutMs);
        const signal = AbortSignal.any([jobSignal, timeout]);
        try {
          const response = await fetchImpl(url, { method, headers, body, signal });
          const data = await read(response);
          return {
            data,
            status: response.status,
            headers: response.headers,
            contentType: mediaType(response.headers.get('content-type')),
            attempts: attempt,
            durationMs: Math.round(performance.now() - started),
          };
        } catch (error) {
          if (jobSignal.aborted) throw error;
          if (timeout.aborted) {
            throw new AttemptFailure('timeout', `no complete answer within ${timeoutMs} ms`, true);
          }
          throw error;
        }
      } catch (error) {
        if (jobSignal.aborted) throw jobSignal.reason;
        failure = error instanceof AttemptFailure ? error : networkFailure(error);
      }

      const details = {
        kind: failure.kind,
        status: failure.extra.status,
        attempts: attempt,
        providerMessage: failure.extra.providerMessage,
      };
      if (!failure.retryable) {
        throw new UnrecoverableProviderError(
          `${name} request ${label}: ${failure.message}`,
          details,
        );
      }
      if (attempt >= maxAttempts) {
        const tries = attempt === 1 ? '1 attempt' : `${attempt} attempts`;
        throw new ProviderError(
          `${name} request ${label} failed after ${tries}: ${failure.message}`,
          details,
        );
      }
      const waitMs =
        failure.extra.retryAfterMs !== undefined
          ? Math.min(failure.extra.retryAfterMs, options.maxDelayMs)
          : backoffDelayMs(attempt, options.baseDelayMs, options.maxDelayMs, options.random);
      options.logger.warn(`${name} request failed, retrying`, {
        request: label,
        attempt,
        max_attempts: maxAttempts,
        delay_ms: waitMs,
        status: failure.extra.status,
        kind: failure.kind,
        cause: failure.message,
      });
      request.onRetry?.({
        attempt,
        maxAttempts,
        delayMs: waitMs,
        kind: failure.kind,
        status: failure.extra.status,
        message: failure.message,
      });
      try {
        await sleep(waitMs, jobSignal);
      } catch (error) {
        if (jobSignal.aborted) throw jobSignal.reason;
        throw error;
      }
    }
  }

  function networkFailure(error: unknown): AttemptFailure {
    const info = describeNetworkError(error);
    return new AttemptFailure(
      info.retryable ? 'network' : 'request',
      clean(info.description),
      info.retryable,
    );
  }

  /** Reads a body up to `max` bytes; a failed read means the body was cut off. */
  async function readBody(response: Response, max: number, status: number): Promise<Uint8Array> {
    try {
      return await readCapped(response, max);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        throw new AttemptFailure('too_large', `answer larger than ${max} bytes`, false, { status });
      }
      // A timeout or a cancel also lands here; the retry loop, which knows which signal
      // fired, takes precedence over this description.
      const cause = describeNetworkError(error).description;
      throw new AttemptFailure(
        'truncated',
        `provider answered ${status} but the body was cut off (${clean(cause)})`,
        true,
        { status },
      );
    }
  }

  /** Turns a non-2xx answer into a failure, retryable or not, with the provider's message. */
  async function statusFailure(response: Response): Promise<AttemptFailure> {
    const { status } = response;
    const type = mediaType(response.headers.get('content-type'));
    const text = new TextDecoder().decode(await readPrefix(response, ERROR_BODY_BYTES));
    let message: string | undefined;
    if (isJsonMediaType(type) || /^\s*[{"]/.test(text)) {
      try {
        message = providerErrorMessage(JSON.parse(text), secrets);
      } catch {
        message = undefined;
      }
    }
    const statusText = response.statusText ? ` ${clean(response.statusText)}` : '';
    const description =
      message !== undefined
        ? `provider answered ${status}${statusText}: ${message}`
        : `provider answered ${status} with ${type || 'no content type'}: ${bodyExcerpt(text, type, secrets)}`;
    return new AttemptFailure('http', description, isRetryableStatus(status), {
      status,
      providerMessage: message,
      retryAfterMs: status === 429 || status === 503 ? retryAfterMs(response.headers) : undefined,
    });
  }

  return {
    baseUrl,

    requestJson<T>(request: JsonRequestOptions<T>) {
      return execute<T>(request, 'application/json', async (response) => {
        const { status } = response;
        if (status < 200 || status > 299) throw await statusFailure(response);
        const type = mediaType(response.headers.get('content-type'));
        const bytes = await readBody(response, maxResponseBytes, status);
        const text = new TextDecoder().decode(bytes);
        // A missing Content-Type is forgiven when the body is plainly a JSON object.
        const jsonish = isJsonMediaType(type) || (type === '' && /^\s*\{/.test(text));
        if (!jsonish) {
          throw new AttemptFailure(
            'unexpected_content_type',
            `provider answered ${status} with ${type || 'no content type'} instead of JSON: ${bodyExcerpt(text, type, secrets)}`,
            true,
            { status },
          );
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          throw new AttemptFailure(
            'truncated',
            `provider answered ${status} with incomplete or invalid JSON (${bytes.length} bytes): ${bodyExcerpt(text, type, secrets)}`,
            true,
            { status },
          );
        }
        if (!isPlainObject(parsed)) {
          const what = Array.isArray(parsed) ? 'an array' : `a JSON ${typeof parsed}`;
          throw new AttemptFailure(
            'not_object',
            `provider answered ${status} with ${what} instead of an object: ${bodyExcerpt(text, type, secrets)}`,
            true,
            { status, providerMessage: providerErrorMessage(parsed, secrets) },
          );
        }
        if (request.errorInBody && parsed.error !== undefined && parsed.error !== null) {
          const inBody = inBodyErrorStatus(parsed.error) ?? 502;
          const message = providerErrorMessage(parsed, secrets) ?? bodyExcerpt(text, type, secrets);
          throw new AttemptFailure(
            'http',
            `provider answered ${status} with an error (code ${inBody}): ${message}`,
            isRetryableStatus(inBody),
            { status: inBody, providerMessage: message },
          );
        }
        if (!request.schema) return parsed as T;
        const checked = request.schema.safeParse(parsed);
        if (checked.success) return checked.data;
        const issue = checked.error.issues[0];
        const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
        throw new AttemptFailure(
          'invalid_response',
          `provider answered ${status} with an unexpected JSON object (${where}${issue?.message ?? 'invalid'}): ${bodyExcerpt(text, type, secrets)}`,
          false,
          { status },
        );
      });
    },

    requestBytes(request: BytesRequestOptions) {
      const max = request.maxBytes ?? maxResponseBytes;
      return execute(request, '*/*', async (response) => {
        const { status } = response;
        if (status < 200 || status > 299) throw await statusFailure(response);
        const type = mediaType(response.headers.get('content-type'));
        if (request.accept && !request.accept.test(type)) {
          const text = new TextDecoder().decode(await readPrefix(response, ERROR_BODY_BYTES));
          throw new AttemptFailure(
            'unexpected_content_type',
            `provider answered ${status} with ${type || 'no content type'} instead of ${String(request.accept)}: ${bodyExcerpt(text, type, secrets)}`,
            true,
            { status },
          );
        }
        return readBody(response, max, status);
      });
    },
  };
}

/** The whole body, refusing (and cancelling) past `max` bytes. */
async function readCapped(response: Response, max: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    await response.body?.cancel().catch(() => undefined);
    throw new BodyTooLarge();
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLarge();
    }
    chunks.push(value);
  }
  return concat(chunks, total);
}

/**
 * At most `max` bytes of the body, for an error message: the rest is discarded, and a read
 * that fails part way returns what arrived (the status already says what happened).
 */
async function readPrefix(response: Response, max: number): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < max) {
      const { done, value } = await reader.read();
      if (done) return concat(chunks, total);
      chunks.push(value);
      total += value.byteLength;
    }
  } catch {
    return concat(chunks, total);
  }
  await reader.cancel().catch(() => undefined);
  return concat(chunks, total).subarray(0, max);
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
