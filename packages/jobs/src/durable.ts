import type { Logger } from '@genq/core';

/**
 * Errors that say a server could not be reached, not that the write was wrong: connection
 * refused or dropped, PostgreSQL shutting down or starting (SQLSTATE class 08, 57P01–57P03),
 * a pool that could not connect, ioredis with its connection closed or its offline queue off.
 * Such a write lands once the server is back; any other error would fail again the same way.
 */
export function isOutage(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e: unknown = error; e && typeof e === 'object' && !seen.has(e);) {
    seen.add(e);
    const { code, message, name } = e as { code?: unknown; message?: unknown; name?: unknown };
    if (typeof code === 'string' && OUTAGE_CODES.test(code)) return true;
    if (typeof message === 'string' && OUTAGE_MESSAGES.test(message)) return true;
    if (name === 'MaxRetriesPerRequestError') return true;
    e = (e as { cause?: unknown }).cause ?? (e as { originalError?: unknown }).originalError;
  }
  return false;
}

const OUTAGE_CODES =
  /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|08\w{3}|57P0[123]|P1001|P1002|P1017|P2024)$/;
const OUTAGE_MESSAGES =
  /ECONNREFUSED|ECONNRESET|Connection terminated|connection is closed|Connection is closed|terminating connection|the database system is (starting up|shutting down)|Stream isn't writeable|enableOfflineQueue|Client has encountered a connection error|timeout exceeded when trying to connect|Can't reach database server|Server has closed the connection/i;

export interface DurableOptions {
  logger: Logger;
  /** First wait after a failed write; doubles up to `maxDelayMs` (default 100 ms, 5 s). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Other errors are tried this many times in all before they are thrown (default 3). */
  attemptsOnError?: number;
}

/** A write that could not land before the process had to stop. */
export class WriteNotLandedError extends Error {
  constructor(what: string, cause: unknown) {
    super(`could not ${what} before stopping`, { cause });
    this.name = 'WriteNotLandedError';
  }
}

/**
 * Runs `write` until it lands. While PostgreSQL or Redis is unreachable it is retried with
 * exponential backoff (and jitter) for as long as it takes, since the transition it records
 * must not be lost; any other error is retried a few times, then thrown. When `stop` fires
 * first, the caller gets WriteNotLandedError and hands the job back.
 */
export function createDurableWrites(options: DurableOptions) {
  const initial = options.initialDelayMs ?? 100;
  const max = options.maxDelayMs ?? 5_000;
  const attemptsOnError = options.attemptsOnError ?? 3;

  return async function durably<T>(
    what: string,
    write: () => Promise<T>,
    stop?: AbortSignal,
  ): Promise<T> {
    let failures = 0;
    let errors = 0;
    for (;;) {
      try {
        return await write();
      } catch (error) {
        failures += 1;
        if (!isOutage(error) && ++errors >= attemptsOnError) throw error;
        if (stop?.aborted) throw new WriteNotLandedError(what, error);
        const delay = Math.min(max, initial * 2 ** (failures - 1));
        if (failures === 1 || failures % 10 === 0) {
          options.logger.warn(`could not ${what}; retrying`, {
            error: String(error),
            failures,
          });
        }
        await sleep(delay * (0.75 + Math.random() * 0.5), stop);
      }
    }
  };
}

export type DurableWrites = ReturnType<typeof createDurableWrites>;

function sleep(ms: number, stop?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      stop?.removeEventListener('abort', done);
      resolve();
    }
    stop?.addEventListener('abort', done, { once: true });
  });
}
