import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, CliError, EXIT } from './errors.ts';
import type { ErrorDetail } from './types.ts';

export const CLI_VERSION = '0.1.0';

export interface ApiClientOptions {
  /** e.g. http://127.0.0.1:3000 (a path prefix is kept). */
  baseUrl: string;
  apiKey?: string;
  /** How long 429 / 503 answers may be retried, in total, before giving up (default 300 s). */
  retryBudgetMs?: number;
  /** Told before each wait, so people see why nothing moves. */
  onRetry?: (info: RetryInfo) => void;
}

export interface RetryInfo {
  method: string;
  path: string;
  reason: string;
  waitMs: number;
  attempt: number;
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * Whether the request may be sent again after a failure that leaves its fate unknown (the
   * connection dropped after sending). Defaults to true for GET and DELETE. A refused
   * connection is always retried: nothing reached the server.
   */
  idempotent?: boolean;
  /** Statuses handed back to the caller instead of being raised as errors. */
  accept?: number[];
}

export interface JsonAnswer<T> {
  status: number;
  headers: Headers;
  body: T;
}

const NETWORK_RETRIES = 3;
/** Longest single wait, whatever Retry-After says. */
const MAX_WAIT_MS = 300_000;

/**
 * Seconds (`Retry-After: 7`) or an HTTP date, as milliseconds to wait; null when absent or
 * unreadable.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.min(MAX_WAIT_MS, Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.min(MAX_WAIT_MS, Math.max(0, date - now));
}

function networkCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  return typeof cause?.message === 'string' ? cause.message : undefined;
}

/**
 * fetch against the genq API: bearer key, JSON bodies, retries on 429 and 503 honouring
 * Retry-After, and every failure turned into a CliError with the exit code it means.
 */
export class ApiClient {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly retryBudgetMs: number;
  private readonly onRetry: ((info: RetryInfo) => void) | undefined;

  constructor(options: ApiClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.baseUrl);
    } catch {
      throw new CliError(`--url is not a URL: ${options.baseUrl}`, EXIT.USAGE, 'usage');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new CliError(
        `--url must be http:// or https://, not ${parsed.protocol}`,
        EXIT.USAGE,
        'usage',
      );
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey || undefined;
    this.retryBudgetMs = options.retryBudgetMs ?? 300_000;
    this.onRetry = options.onRetry;
  }

  /** Headers every request and WebSocket upgrade carries. */
  authHeaders(): Record<string, string> {
    return {
      'user-agent': `genq-cli/${CLI_VERSION}`,
      ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}),
    };
  }

  /** ws(s):// address of a gateway path such as `/ws`. */
  wsUrl(path: string): string {
    return this.baseUrl.replace(/^http/, 'ws') + path;
  }

  async json<T>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<JsonAnswer<T>> {
    const response = await this.send(method, path, options);
    const text = await response.text();
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        if (response.ok) {
          throw new CliError(
            `${method} ${path}: the server answered ${response.status} with something that is not JSON`,
            EXIT.SERVER,
            'bad_response',
          );
        }
      }
    }
    if (!response.ok && !options.accept?.includes(response.status)) {
      throw apiError(response.status, body, method, path);
    }
    return { status: response.status, headers: response.headers, body: body as T };
  }

  /** A successful response whose body the caller reads (downloads). */
  async stream(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const response = await this.send(method, path, options);
    if (response.ok || options.accept?.includes(response.status)) return response;
    const text = await response.text().catch(() => '');
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: the status says enough
    }
    throw apiError(response.status, body, method, path);
  }

  private async send(method: string, path: string, options: RequestOptions): Promise<Response> {
    const idempotent = options.idempotent ?? (method === 'GET' || method === 'DELETE');
    const headers: Record<string, string> = { ...this.authHeaders(), ...options.headers };
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const started = Date.now();
    let networkFailures = 0;
    let attempt = 0;
    for (;;) {
      attempt += 1;
      let response: Response;
      try {
        response = await fetch(this.baseUrl + path, { method, headers, body });
      } catch (error) {
        const code = networkCode(error);
        // A refused connection never reached the server, so even a POST is safe to repeat.
        const retryable = idempotent || code === 'ECONNREFUSED';
        if (retryable && networkFailures < NETWORK_RETRIES) {
          const waitMs = 500 * 2 ** networkFailures;
          networkFailures += 1;
          this.onRetry?.({ method, path, reason: code ?? 'network error', waitMs, attempt });
          await sleep(waitMs);
          continue;
        }
        const why = code ?? (error instanceof Error ? error.message : String(error));
        throw new CliError(
          `cannot reach genq at ${this.baseUrl} (${why})` +
            (retryable ? '' : '; the request may or may not have been received'),
          EXIT.SERVER,
          'network_error',
        );
      }
      const throttled = response.status === 429 || response.status === 503;
      const gateway = idempotent && (response.status === 502 || response.status === 504);
      if (throttled || gateway) {
        const waitMs =
          parseRetryAfter(response.headers.get('retry-after')) ??
          Math.min(30_000, 1000 * 2 ** Math.min(attempt - 1, 5));
        if (Date.now() - started + waitMs <= this.retryBudgetMs) {
          const code = await response
            .json()
            .then((body: { error?: { code?: unknown } }) => body?.error?.code)
            .catch(() => undefined);
          const reason =
            typeof code === 'string' ? `${code} (${response.status})` : `HTTP ${response.status}`;
          this.onRetry?.({ method, path, reason, waitMs, attempt });
          await sleep(waitMs);
          continue;
        }
      }
      return response;
    }
  }
}

function apiError(status: number, body: unknown, method: string, path: string): ApiError {
  const error = (
    body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null
  )?.error;
  const code = typeof error?.code === 'string' ? error.code : `http_${status}`;
  let message =
    typeof error?.message === 'string' ? error.message : `${method} ${path} answered ${status}`;
  if (status === 401) message += ' (set GENQ_API_KEY or pass --api-key)';
  if (status === 429 || status === 503) message += ' (still refused after retrying)';
  const details = Array.isArray(error?.details)
    ? (error.details as unknown[]).filter(
        (d): d is ErrorDetail =>
          typeof d === 'object' && d !== null && typeof (d as ErrorDetail).message === 'string',
      )
    : [];
  return new ApiError(status, code, message, details);
}
