import { Router, type RequestHandler } from 'express';
import { presentsOpsToken } from '../auth/operator.ts';
import type { StatusService } from '../health/status.ts';
import { errorBody } from '../http/error-handler.ts';
import type { ApiMetrics } from './api-metrics.ts';

export interface MetricsRoutesDeps {
  metrics: ApiMetrics;
  status: StatusService;
  /** GENQ_METRICS_TOKEN: when set, /metrics and /status need `Authorization: Bearer <it>`. */
  token?: string;
}

/** Open when no token is configured; otherwise the bearer token, compared in constant time. */
function requireOpsToken(token: string | undefined): RequestHandler {
  return (req, res, next) => {
    if (!token) {
      next();
      return;
    }
    if (presentsOpsToken(req, token)) {
      next();
      return;
    }
    res
      .status(401)
      .setHeader('WWW-Authenticate', 'Bearer')
      .json(errorBody('unauthorized', 'this route needs GENQ_METRICS_TOKEN as a bearer token'));
  };
}

/** `GET /metrics` (Prometheus text) and `GET /status` (JSON), for operators and scrapers. */
export function createMetricsRoutes(deps: MetricsRoutesDeps): Router {
  const router = Router();
  const guard = requireOpsToken(deps.token);
  router.get('/metrics', guard, async (_req, res) => {
    const { contentType, body } = await deps.metrics.render();
    res.setHeader('Cache-Control', 'no-store');
    res.type(contentType).send(body);
  });
  router.get('/status', guard, async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(await deps.status());
  });
  return router;
}
