import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type RateLimitExceededEventHandler } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { createHash } from 'node:crypto';
import type { ClientTier } from '@genq/db';
import { errorBody } from './error-handler.ts';

export interface RateLimitSettings {
  enabled: boolean;
  windowMs: number;
  perTier: Record<ClientTier, number>;
  /** For routes that need no key, counted per client address. */
  anonymous: number;
  /** Addresses never limited (exact match of req.ip). */
  allowlist: string[];
}

/**
 * Rate limits shared by every API process through Redis (one store per limiter, as
 * express-rate-limit requires). Over the limit: 429 with Retry-After and the standard
 * RateLimit / RateLimit-Policy headers. If Redis cannot be reached the request passes:
 * the limiter must not turn a Redis hiccup into an outage of reads.
 */
export function createRateLimiters(redis: Redis, prefix: string, settings: RateLimitSettings) {
  const store = (name: string): RedisStore =>
    new RedisStore({
      prefix: `${prefix}:ratelimit:${name}:`,
      sendCommand: (command: string, ...args: string[]) => sendCommand(redis, command, args),
    });
  const allowed = new Set(settings.allowlist);
  const handler: RateLimitExceededEventHandler = (_req, res, _next, options) => {
    res
      .status(options.statusCode)
      .json(errorBody('rate_limited', 'too many requests; retry after the time in Retry-After'));
  };
  const common = {
    windowMs: settings.windowMs,
    standardHeaders: 'draft-8' as const,
    legacyHeaders: false,
    passOnStoreError: true,
    skip: (req: Request): boolean => !settings.enabled || allowed.has(req.ip ?? ''),
    handler,
  };

  const perKey: RequestHandler = rateLimit({
    ...common,
    store: store('key'),
    limit: (req) =>
      req.principal?.kind === 'client' ? settings.perTier[req.principal.tier] : settings.anonymous,
    keyGenerator: (req) =>
      req.principal?.kind === 'client'
        ? `key:${req.principal.keyId}`
        : `ip:${ipKeyGenerator(req.ip ?? '')}`,
    identifier: 'per-key',
  });

  const perAddress: RequestHandler = rateLimit({
    ...common,
    store: store('ip'),
    limit: settings.anonymous,
    keyGenerator: (req) => ipKeyGenerator(req.ip ?? ''),
    identifier: 'per-address',
  });

  return { perKey, perAddress };
}

/**
 * The store loads its Lua scripts once, when created, and keeps the promise: if Redis was
 * not reachable at that moment it would fail every later request. A failed SCRIPT LOAD
 * therefore answers the script's SHA-1 (what Redis would have answered); the first EVALSHA
 * then gets NOSCRIPT and the store loads the script again, once Redis is back.
 */
async function sendCommand(redis: Redis, command: string, args: string[]): Promise<RedisReply> {
  try {
    return (await redis.call(command, ...args)) as RedisReply;
  } catch (error) {
    if (command.toUpperCase() === 'SCRIPT' && args[0]?.toUpperCase() === 'LOAD' && args[1]) {
      return createHash('sha1').update(args[1]).digest('hex');
    }
    throw error;
  }
}
