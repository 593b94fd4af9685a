import type { RequestHandler } from 'express';
import { errorBody } from './error-handler.ts';

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/** A request that carries a body must say it is JSON: anything else is 415. */
export const requireJsonBody: RequestHandler = (req, res, next) => {
  const hasBody =
    Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'];
  if (WITH_BODY.has(req.method) && hasBody && !req.is('application/json')) {
    res.status(415).json(
      errorBody('unsupported_media_type', 'send the request body as application/json', [
        {
          path: 'headers.content-type',
          message: `is ${req.headers['content-type'] ?? 'missing'}`,
        },
      ]),
    );
    return;
  }
  next();
};
