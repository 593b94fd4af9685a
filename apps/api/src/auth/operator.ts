import type { Request, RequestHandler } from 'express';
import { UnauthorizedError } from '@genq/core';
import { secretsEqual } from './api-keys.ts';
import { presentedKey, type Authenticator } from './authenticator.ts';

/**
 * The one rule for operational data (worker hosts, process ids, worker ids, every client's
 * counts): an operator may read it, meaning a request that presents GENQ_METRICS_TOKEN as a
 * bearer token or the admin key (GENQ_ADMIN_KEY). Client keys never may.
 */

/** True when GENQ_METRICS_TOKEN is set and the request presents it (constant-time compare). */
export function presentsOpsToken(req: Request, token: string | undefined): boolean {
  if (!token) return false;
  const match = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
  return Boolean(match?.[1] && secretsEqual(match[1].trim(), token));
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by `requireClientOrOperator`: whether the request may see operational data. */
    operator?: boolean;
  }
}

/**
 * For routes that answer clients and operators differently: the metrics token or the admin
 * key sets `req.operator`; a client key sets `req.principal` as requireClient does; anything
 * else is 401.
 */
export function requireClientOrOperator(
  auth: Authenticator,
  metricsToken: string | undefined,
): RequestHandler {
  return async (req, _res, next) => {
    if (presentsOpsToken(req, metricsToken)) {
      req.operator = true;
      next();
      return;
    }
    const principal = await auth.authenticate(presentedKey(req.headers));
    if (!principal) throw new UnauthorizedError('a valid API key is required');
    req.principal = principal;
    req.operator = principal.kind === 'admin';
    next();
  };
}
