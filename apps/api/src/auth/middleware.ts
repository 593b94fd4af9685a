import type { Request, RequestHandler } from 'express';
import { ForbiddenError, UnauthorizedError } from '@genq/core';
import { presentedKey, type Authenticator, type Principal } from './authenticator.ts';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

export type ClientPrincipal = Extract<Principal, { kind: 'client' }>;

/** Routes behind this need a client's API key; the principal lands on `req.principal`. */
export function requireClient(auth: Authenticator): RequestHandler {
  return async (req, _res, next) => {
    const principal = await auth.authenticate(presentedKey(req.headers));
    if (!principal) throw new UnauthorizedError('a valid API key is required');
    if (principal.kind !== 'client') {
      throw new ForbiddenError('the admin key manages clients; use a client key for jobs');
    }
    req.principal = principal;
    next();
  };
}

export function requireAdmin(auth: Authenticator): RequestHandler {
  return async (req, _res, next) => {
    const principal = await auth.authenticate(presentedKey(req.headers));
    if (!principal) throw new UnauthorizedError('a valid admin key is required');
    if (principal.kind !== 'admin') throw new ForbiddenError('this route needs the admin key');
    req.principal = principal;
    next();
  };
}

/** The client behind a request that passed `requireClient`. */
export function clientOf(req: Request): ClientPrincipal {
  const principal = req.principal;
  if (principal?.kind !== 'client') throw new UnauthorizedError('a valid API key is required');
  return principal;
}
