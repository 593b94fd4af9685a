import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';
import {
  GenqError,
  QueueFullError,
  ServiceUnavailableError,
  type ErrorCode,
  type ErrorDetail,
  type Logger,
  zodIssueDetails,
} from '@genq/core';

/** The one error body genq answers with. */
export interface ErrorBody {
  error: { code: ErrorCode | string; message: string; details: ErrorDetail[] };
}

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  result_not_ready: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
  queue_full: 503,
};

export function errorBody(code: string, message: string, details: ErrorDetail[] = []): ErrorBody {
  return { error: { code, message, details } };
}

export function zodDetails(error: z.ZodError, prefix: string[] = []): ErrorDetail[] {
  return zodIssueDetails(error.issues, prefix);
}

/** Errors thrown by body-parser carry a `type` and an HTTP `status`. */
interface BodyParserError {
  type: string;
  status: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as BodyParserError).type === 'string' &&
    typeof (error as BodyParserError).status === 'number'
  );
}

/** Maps every error to HTTP, in one place. Unknown errors become 500 without a stack. */
export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof GenqError) {
      if (error instanceof ServiceUnavailableError || error instanceof QueueFullError) {
        res.setHeader('Retry-After', String(error.retryAfterSeconds));
        logger.warn(error.message, { requestId: req.id, cause: String(error.cause ?? '') });
      }
      res
        .status(STATUS_BY_CODE[error.code])
        .json(errorBody(error.code, error.message, error.details));
      return;
    }
    if (isBodyParserError(error)) {
      if (error.type === 'entity.too.large') {
        res.status(413).json(errorBody('payload_too_large', 'request body is too large'));
        return;
      }
      if (error.type === 'entity.parse.failed') {
        res
          .status(400)
          .json(
            errorBody('validation_failed', 'request body is not valid JSON', [
              { path: '', message: 'malformed JSON' },
            ]),
          );
        return;
      }
      if (error.status >= 400 && error.status < 500) {
        res
          .status(error.status)
          .json(errorBody('validation_failed', 'request body could not be read'));
        return;
      }
    }
    logger.error('unhandled error', {
      requestId: req.id,
      error: error instanceof Error ? error.stack : String(error),
    });
    res.status(500).json(errorBody('internal_error', 'internal error'));
  };
}

export const notFoundHandler: RequestHandler = (req, res) => {
  res.status(404).json(errorBody('not_found', `no route for ${req.method} ${req.path}`));
};
