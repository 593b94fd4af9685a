import type { Request, RequestHandler } from 'express';
import { withLogContext, type Logger } from '@genq/core';
import type { ApiMetrics } from './api-metrics.ts';

/** Probes that load balancers and Prometheus call every few seconds: logged at debug. */
const PROBE_ROUTES = new Set([
  '/health',
  '/api/v1/health',
  '/api/v1/health/live',
  '/api/v1/health/ready',
  '/metrics',
  '/status',
]);

declare module 'express-serve-static-core' {
  interface Request {
    /** The Express route pattern that answered (`/api/v1/jobs/:id`), once one matched. */
    routePattern?: string;
  }
}

/**
 * Records where the router matched: Express sets `req.route` inside the router that owns the
 * route, while `req.baseUrl` still holds that router's mount path. By the time a response
 * ends, an error may have unwound `baseUrl`; remembering both here keeps the pattern exact.
 */
function trackRoutePattern(req: Request): void {
  let route: { path?: unknown } | undefined;
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set(value: { path?: unknown } | undefined) {
      route = value;
      if (value?.path !== undefined) req.routePattern = `${req.baseUrl}${String(value.path)}`;
    },
  });
}

/**
 * First middleware after the request id. For every request it:
 * - runs the rest of the request in a log context holding its request id, so every line
 *   logged while answering it carries `requestId`, whichever logger writes it;
 * - counts it in flight and, when it ends, observes its latency under its route pattern
 *   (`unmatched` when no route answered: never the raw URL, so series stay bounded);
 * - writes one access log line: method, route, path, status, ms, requestId and, once
 *   authenticated, clientId. Headers are never logged, so neither is a key.
 */
export function observeRequests(logger: Logger, metrics?: ApiMetrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const ended = metrics?.requestStarted();
    trackRoutePattern(req);
    res.once('close', () => {
      ended?.();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = req.routePattern ?? 'unmatched';
      const status = res.statusCode;
      metrics?.observeRequest(req.method, route, status, seconds);
      const principal = req.principal;
      logger.log(PROBE_ROUTES.has(route) ? 'debug' : 'info', 'request', {
        requestId: req.id,
        method: req.method,
        route,
        path: req.originalUrl.split('?')[0],
        status,
        ms: Math.round(seconds * 10_000) / 10,
        ...(principal?.kind === 'client' ? { clientId: principal.clientId } : {}),
        ...(principal?.kind === 'admin' ? { principal: 'admin' } : {}),
        ...(res.writableFinished ? {} : { aborted: true }),
      });
    });
    withLogContext({ requestId: req.id }, next);
  };
}
