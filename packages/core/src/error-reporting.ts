import { isSecretKeyName, redactSecretText } from './logger.ts';

/** What a reported error may carry besides itself: searchable tags and extra values. */
export interface ErrorContext {
  tags?: Record<string, string | number | boolean>;
  extra?: Record<string, unknown>;
}

/** Reports unexpected errors (Sentry when a DSN is configured; nothing otherwise). */
export interface ErrorReporter {
  /** False when no DSN is set: every call is a no-op and nothing leaves the process. */
  readonly enabled: boolean;
  captureException(error: unknown, context?: ErrorContext): void;
  /** Waits (at most `timeoutMs`) until queued events are sent; call before exiting. */
  flush(timeoutMs?: number): Promise<boolean>;
}

export interface ErrorReportingOptions {
  /** SENTRY_DSN; unset or empty disables reporting. */
  dsn?: string;
  /** `genq-api`, `genq-worker`: a tag on every event. */
  service: string;
  release?: string;
  environment?: string;
}

export const noopErrorReporter: ErrorReporter = {
  enabled: false,
  captureException: () => undefined,
  flush: async () => true,
};

/** Headers that carry credentials; dropped from any event, whatever their case. */
const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'cookie',
  'set-cookie',
  // WebSocket clients may present their key as a subprotocol.
  'sec-websocket-protocol',
]);

const MAX_DEPTH = 12;

function scrubValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactSecretText(value);
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) value[i] = scrubValue(value[i], depth + 1);
    return value;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (SECRET_HEADERS.has(key.toLowerCase())) delete record[key];
    else if (isSecretKeyName(key)) record[key] = '[redacted]';
    else record[key] = scrubValue(record[key], depth + 1);
  }
  return value;
}

/**
 * Removes credentials from an event before it is sent: credential headers and cookies,
 * request bodies, values under secret-looking keys and genq keys or bearer tokens anywhere
 * in its text (messages, exception values, breadcrumbs, extra data). Mutates and returns it.
 */
export function scrubEvent<T extends object>(event: T): T {
  const request = (event as { request?: Record<string, unknown> }).request;
  if (request) {
    delete request.cookies;
    delete request.data;
  }
  return scrubValue(event, 0) as T;
}

/**
 * Starts error reporting once per process, from its entry file. Without a DSN it returns the
 * no-op reporter and `@sentry/node` is not even loaded. With one, Sentry collects no
 * headers, cookies, bodies, query strings, local variables or queue payloads (job inputs may
 * hold secrets), and `scrubEvent` runs on every event and breadcrumb as a last line.
 */
export async function initErrorReporting(options: ErrorReportingOptions): Promise<ErrorReporter> {
  if (!options.dsn) return noopErrorReporter;
  const Sentry = await import('@sentry/node');
  Sentry.init({
    dsn: options.dsn,
    release: options.release,
    environment: options.environment,
    initialScope: { tags: { service: options.service } },
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: false,
      httpBodies: [],
      urlQueryParams: false,
      databaseQueryData: false,
      queues: false,
      stackFrameVariables: false,
      genAI: { inputs: false, outputs: false },
    },
    beforeSend: (event) => scrubEvent(event),
    beforeBreadcrumb: (breadcrumb) => scrubEvent(breadcrumb),
  });
  return {
    enabled: true,
    captureException(error, context) {
      Sentry.captureException(error, { tags: context?.tags, extra: context?.extra });
    },
    flush: (timeoutMs = 2_000) => Sentry.flush(timeoutMs),
  };
}
