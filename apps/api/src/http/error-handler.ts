import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';
import {
  GenqError,
  QueueFullError,
  ServiceUnavailableError,
  type ErrorCode,
  type ErrorDetail,
  type ErrorReporter,
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

const CODE_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/** The 4xx status of an http-errors style error (`status` or `statusCode`), else null. */
function clientErrorStatus(error: unknown): number | null {
  if (typeof error !== 'object' || error === null) return null;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  const value = typeof status === 'number' ? status : statusCode;
  return typeof value === 'number' && value >= 400 && value < 500 ? value : null;
}

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

/**
 * Maps every error to HTTP, in one place. Unknown errors become 500 without a stack, and only
 * they go to the error reporter (Sentry when configured) with the request id and route.
 */
export function createErrorHandler(logger: Logger, reporter?: ErrorReporter): ErrorRequestHandler {
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
      if (error.status === 415) {
        const charset = error.type === 'charset.unsupported';
        res.status(415).json(
          errorBody('unsupported_media_type', 'unsupported charset or content encoding', [
            charset
              ? { path: 'headers.content-type', message: 'the charset must be utf-8' }
              : {
                  path: 'headers.content-encoding',
                  message: 'use identity, gzip, deflate or br',
                },
          ]),
        );
        return;
      }
    }
    // Other client errors raised as http-errors by Express's parts: a body that cannot be
    // read (bad gzip data, aborted), a path with malformed %-encoding (router), a Range
    // that cannot be served (send). Their status stands; their text is not echoed.
    const status = clientErrorStatus(error);
    if (status !== null) {
      const code = CODE_BY_STATUS[status] ?? 'validation_failed';
      const message =
        error instanceof URIError
          ? 'the URL holds malformed percent-encoding'
          : isBodyParserError(error) || status === 400
            ? 'request could not be read'
            : (STATUS_CODES[status] ?? 'bad request').toLowerCase();
      logger.info('request refused', { requestId: req.id, status, error: String(error) });
      res.status(status).json(errorBody(code, message));
      return;
    }
    logger.error('unhandled error', {
      requestId: req.id,
      error: error instanceof Error ? error.stack : String(error),
    });
    reporter?.captureException(error, {
      tags: { requestId: req.id, method: req.method, route: req.routePattern ?? 'unmatched' },
    });
    res.status(500).json(errorBody('internal_error', 'internal error'));
  };
}

export const notFoundHandler: RequestHandler = (req, res) => {
  res.status(404).json(errorBody('not_found', `no route for ${req.method} ${req.path}`));
};
