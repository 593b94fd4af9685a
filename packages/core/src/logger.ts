import { AsyncLocalStorage } from 'node:async_hooks';
import winston from 'winston';
import { BatchedConsoleTransport } from './log-output.ts';

export type Logger = winston.Logger;

export interface LoggerOptions {
  level: string;
  /** JSON lines for machines in production; readable lines for people in development. */
  format: 'json' | 'pretty';
  service: string;
  /** Where lines go; the console by default (tests capture lines with a stream transport). */
  transports?: winston.transport[];
}

/** Keys whose values never reach a log line, whatever the caller passes in. */
const SECRET_KEYS = /^(authorization|x-api-key|api[_-]?key|password|secret|token|dsn)$/i;

/** True for a field name whose value is a credential (`authorization`, `apiKey`, `token`…). */
export function isSecretKeyName(key: string): boolean {
  return SECRET_KEYS.test(key);
}

/** genq API keys (`genq_` + 43 characters) and bearer credentials, wherever they appear in text. */
const SECRET_TEXT: [RegExp, string][] = [
  [/genq_[A-Za-z0-9_-]{20,}/g, 'genq_[redacted]'],
  [/(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, '$1[redacted]'],
];

/** Replaces key-looking substrings of `text` (API keys, bearer tokens). */
export function redactSecretText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_TEXT) out = out.replace(pattern, replacement);
  return out;
}

const redactSecrets = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (SECRET_KEYS.test(key)) info[key] = '[redacted]';
    else if (typeof info[key] === 'string') info[key] = redactSecretText(info[key]);
  }
  if (typeof info.message === 'string') info.message = redactSecretText(info.message);
  return info;
});

/**
 * Fields every line logged inside `withLogContext` carries, whichever logger writes it: the
 * API runs each request in a context holding its request id, the worker each job in one
 * holding its job id. AsyncLocalStorage follows the work across awaits.
 */
const logContext = new AsyncLocalStorage<Readonly<Record<string, unknown>>>();

/** Runs `fn` with `fields` added to every line logged during it (nested contexts merge). */
export function withLogContext<T>(fields: Record<string, unknown>, fn: () => T): T {
  const parent = logContext.getStore();
  return logContext.run(parent ? { ...parent, ...fields } : fields, fn);
}

const addLogContext = winston.format((info) => {
  const fields = logContext.getStore();
  if (fields) {
    for (const [key, value] of Object.entries(fields)) {
      if (info[key] === undefined) info[key] = value;
    }
  }
  return info;
});

export function createLogger(options: LoggerOptions): Logger {
  const format =
    options.format === 'json'
      ? winston.format.combine(
          addLogContext(),
          winston.format.errors({ stack: true }),
          redactSecrets(),
          winston.format.timestamp(),
          winston.format.json(),
        )
      : winston.format.combine(
          addLogContext(),
          winston.format.errors({ stack: true }),
          redactSecrets(),
          winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
          winston.format.colorize(),
          winston.format.printf(({ timestamp, level, message, service, stack, ...rest }) => {
            const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
            return `${String(timestamp)} ${level} [${String(service)}] ${String(message)}${extra}${stack ? `\n${String(stack)}` : ''}`;
          }),
        );
  return winston.createLogger({
    level: options.level,
    format,
    defaultMeta: { service: options.service },
    transports: options.transports ?? [new BatchedConsoleTransport({ stderrLevels: ['error'] })],
  });
}
