import type { ErrorDetail } from '@genq/core';

/** Exit codes a script can rely on (also listed in `genq --help` and the README). */
export const EXIT = {
  /** Everything asked for succeeded. */
  OK: 0,
  /** Some job failed or was cancelled. */
  JOB_FAILED: 1,
  /** Bad flags or input file, or a request the API rejected (400, 404, 409, …). */
  USAGE: 2,
  /** genq unreachable, or 5xx / 429 still answered after the retries. */
  SERVER: 3,
  /** 401 or 403: missing, bad or revoked key, or not allowed. */
  AUTH: 4,
  /** Interrupted by Ctrl-C (SIGINT) or SIGTERM. */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports to people (stderr) and to scripts (exit code, --json). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** The API's error.code, or a CLI code such as `usage` or `network_error`. */
    readonly code: string,
    readonly details: ErrorDetail[] = [],
    /** Extra fields for the --json error document. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function usageError(message: string, details: ErrorDetail[] = []): CliError {
  return new CliError(message, EXIT.USAGE, 'usage', details);
}

/** An HTTP answer that is not a success, carrying the API's error body. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    details: ErrorDetail[] = [],
  ) {
    super(message, exitCodeForStatus(status), code, details, { http_status: status });
    this.name = 'ApiError';
  }
}

export function exitCodeForStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.AUTH;
  if (status === 429 || status >= 500) return EXIT.SERVER;
  return EXIT.USAGE;
}
