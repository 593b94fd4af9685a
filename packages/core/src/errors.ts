/**
 * genq's error catalogue. Every error a client can see is one of these classes;
 * the API maps them to HTTP in exactly one place (apps/api/src/http/error-handler.ts).
 */
export interface ErrorDetail {
  path: string;
  message: string;
}

export type ErrorCode =
  | 'validation_failed'
  | 'not_found'
  | 'conflict'
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'service_unavailable'
  | 'queue_full'
  | 'result_not_ready'
  | 'internal_error';

export abstract class GenqError extends Error {
  abstract readonly code: ErrorCode;
  readonly details: ErrorDetail[];
  constructor(message: string, details: ErrorDetail[] = [], options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.details = details;
  }
}

export class ValidationError extends GenqError {
  readonly code = 'validation_failed';
}

export class NotFoundError extends GenqError {
  readonly code = 'not_found';
  constructor(what: string, id: string) {
    super(`${what} ${id} not found`);
  }
}

export class UnauthorizedError extends GenqError {
  readonly code = 'unauthorized';
}

export class ForbiddenError extends GenqError {
  readonly code = 'forbidden';
}

export class ConflictError extends GenqError {
  readonly code = 'conflict';
}

export class ResultNotReadyError extends GenqError {
  readonly code = 'result_not_ready';
}

/** A dependency (Redis, PostgreSQL) cannot be reached; the client may retry later. */
export class ServiceUnavailableError extends GenqError {
  readonly code = 'service_unavailable';
  constructor(
    message: string,
    readonly retryAfterSeconds = 5,
    options?: ErrorOptions,
  ) {
    super(message, [], options);
  }
}

export class QueueFullError extends GenqError {
  readonly code = 'queue_full';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/**
 * Thrown by a generator (or genq) when another attempt cannot succeed: bad input,
 * an impossible request. The worker fails the job at once instead of retrying.
 */
export class UnrecoverableGenerationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnrecoverableGenerationError';
  }
}

/** Raised inside a run when the job's AbortSignal fired because the job was cancelled. */
export class JobCancelledError extends Error {
  constructor(message = 'job was cancelled') {
    super(message);
    this.name = 'JobCancelledError';
  }
}

/** One detail per problem; an unknown field is named itself rather than its parent. */
export function zodIssueDetails(
  issues: readonly { code: string; path: PropertyKey[]; message: string; keys?: string[] }[],
  prefix: string[] = [],
): ErrorDetail[] {
  return issues.flatMap((issue) => {
    const base = [...prefix, ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      return issue.keys.map((key) => ({
        path: [...base, key].join('.'),
        message: 'unknown field',
      }));
    }
    return [{ path: base.join('.'), message: issue.message }];
  });
}
