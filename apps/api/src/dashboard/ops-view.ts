import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import { Router, type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Authenticator } from '../auth/authenticator.ts';
import { errorBody } from '../http/error-handler.ts';

export const OPS_PATH = '/admin/queues';
const REALM = 'Basic realm="genq admin", charset="UTF-8"';

/**
 * The password of `Authorization: Basic …` (any user name), or the token of `Bearer …`:
 * browsers cannot send a Bearer header when navigating, so operators sign in through the
 * browser's Basic prompt with the admin key as the password.
 */
export function presentedAdminKey(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
  if (bearer) return bearer;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization)?.[1];
  if (!basic) return undefined;
  const decoded = Buffer.from(basic, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1) || undefined;
}

/** Only the admin key opens the ops view; anything else gets the Basic challenge again. */
export function requireAdminBasic(auth: Authenticator): RequestHandler {
  return async (req, res, next) => {
    const principal = await auth.authenticate(presentedAdminKey(req.headers.authorization));
    if (principal?.kind === 'admin') {
      next();
      return;
    }
    res
      .status(401)
      .setHeader('WWW-Authenticate', REALM)
      .setHeader('Cache-Control', 'no-store')
      .json(
        errorBody(
          'unauthorized',
          principal
            ? 'the ops view needs the admin key, not a client key'
            : 'the ops view needs the admin key: HTTP Basic with any user name and the admin key as password',
        ),
      );
  };
}

/**
 * bull-board renders with inline styles and loads IBM Plex from Google Fonts; its scripts are
 * files of its own. This policy allows exactly that, on this path only.
 */
const opsCsp: RequestHandler = helmet.contentSecurityPolicy({
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'", 'https://fonts.googleapis.com'],
    fontSrc: ["'self'", 'data:', 'https://fonts.gstatic.com'],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
});

/**
 * Read-only: PostgreSQL holds each job's truth and genq counts attempts itself, so a retry,
 * removal or pause done in BullMQ behind genq's back would leave rows and queue disagreeing.
 * The ops view shows; the API (DELETE /api/v1/jobs/:id, `genq cancel`) acts.
 */
const readOnly: RequestHandler = (req, res, next) => {
  if (req.method === 'GET' || req.method === 'HEAD') {
    next();
    return;
  }
  res
    .status(405)
    .setHeader('Allow', 'GET, HEAD')
    .json(errorBody('method_not_allowed', 'the ops view is read-only: act through the genq API'));
};

/** bull-board over every generator queue, at /admin/queues, behind the admin key. */
export function createOpsView(options: { auth: Authenticator; queues: Queue[] }): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(OPS_PATH);
  createBullBoard({
    queues: options.queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: true })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'genq queues', hideDocsLink: true } },
  });
  const board = serverAdapter.getRouter() as Express;
  board.disable('x-powered-by');

  const router = Router();
  router.use(
    OPS_PATH,
    requireAdminBasic(options.auth),
    readOnly,
    opsCsp,
    (req, res, next) => {
      // Pages and API answers show job data (client input): never kept by a cache on the way.
      if (!req.path.startsWith('/static/')) res.setHeader('Cache-Control', 'no-store');
      next();
    },
    board,
  );
  return router;
}
