/**
 * Which failures are worth another attempt, and how long to wait before it.
 *
 * - Retried: connection errors, timeouts, bodies cut off mid-way, 408, 425, 429 and 5xx
 *   (except 501 and 505, which no retry changes), and a success status whose body is not
 *   JSON or not an object (a proxy or load balancer answering in the provider's place).
 * - Not retried: other 4xx (the provider refused the request: bad model, bad key, no
 *   credit), a JSON object of the wrong shape, a body over the size cap, TLS certificate
 *   and URL errors.
 */

const RETRYABLE_STATUSES = new Set([408, 425, 429]);
const FINAL_SERVER_STATUSES = new Set([501, 505]);

export function isRetryableStatus(status: number): boolean {
  if (RETRYABLE_STATUSES.has(status)) return true;
  return status >= 500 && status <= 599 && !FINAL_SERVER_STATUSES.has(status);
}

/**
 * Exponential backoff with ±25% jitter: base × 2^(retry-1), capped by `maxDelayMs` (the cap
 * holds after the jitter too). `retry` is 1 before the second attempt.
 */
export function backoffDelayMs(
  retry: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number = Math.random,
): number {
  const exponential = baseDelayMs * 2 ** Math.max(0, retry - 1);
  const jittered = Math.min(exponential, maxDelayMs) * (0.75 + random() * 0.5);
  return Math.max(0, Math.round(Math.min(jittered, maxDelayMs)));
}

/**
 * How long the provider asked us to wait: `retry-after-ms` (OpenAI), or `Retry-After` in
 * seconds or as an HTTP date. Undefined when absent or unreadable.
 */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\s*\d+(?:\.\d+)?\s*$/.test(ms)) return Math.round(Number(ms));
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(?:\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const NETWORK_CODES: Record<string, string> = {
  ECONNRESET: 'connection reset by the provider',
  ECONNREFUSED: 'connection refused',
  ECONNABORTED: 'connection aborted',
  ETIMEDOUT: 'connection timed out',
  ENETUNREACH: 'network unreachable',
  EHOSTUNREACH: 'host unreachable',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'DNS lookup failed (temporary)',
  EPIPE: 'connection closed while sending the request',
  UND_ERR_SOCKET: 'connection closed by the provider',
  UND_ERR_CLOSED: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connect timeout',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'response body stalled',
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: 'request body length mismatch',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'response body shorter than announced',
};

const TLS_CODE =
  /^(?:CERT_|ERR_TLS_|ERR_SSL_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_)/;

export interface NetworkErrorInfo {
  /** Readable, e.g. "connection refused (ECONNREFUSED)". */
  description: string;
  code: string | undefined;
  retryable: boolean;
}

/** Describes an error thrown by fetch (undici wraps the socket error in `cause`). */
export function describeNetworkError(error: unknown): NetworkErrorInfo {
  const chain: unknown[] = [];
  for (let e: unknown = error; e && chain.length < 5; e = (e as { cause?: unknown }).cause) {
    chain.push(e);
    if (e instanceof AggregateError && e.errors.length > 0) chain.push(e.errors[0]);
  }
  const coded = chain.find(
    (e): e is { code: string } => typeof (e as { code?: unknown })?.code === 'string',
  );
  const code = coded?.code;
  const messages = chain
    .map((e) => (e instanceof Error ? e.message : ''))
    .filter((m) => m !== '' && m !== 'fetch failed');
  const detail = messages.find((m) => m !== 'terminated') ?? messages[0] ?? 'fetch failed';
  if (code && TLS_CODE.test(code)) {
    return { description: `TLS error: ${detail} (${code})`, code, retryable: false };
  }
  if (code === 'ERR_INVALID_URL' || /invalid url|failed to parse url/i.test(detail)) {
    return { description: `invalid URL: ${detail}`, code, retryable: false };
  }
  const known = code ? NETWORK_CODES[code] : undefined;
  if (known) return { description: `${known} (${code})`, code, retryable: true };
  if (/socket hang up/i.test(detail)) {
    return { description: 'socket hang up', code, retryable: true };
  }
  return { description: code ? `${detail} (${code})` : detail, code, retryable: true };
}
