import { Router, type Response } from 'express';
import type { HealthService } from './health-service.ts';

function liveness(version: string) {
  return {
    status: 'ok',
    version,
    uptime_seconds: Math.round(process.uptime() * 10) / 10,
    timestamp: new Date().toISOString(),
  };
}

const noStore = (res: Response): Response => res.setHeader('Cache-Control', 'no-store');

/**
 * Health for load balancers and operators; no API key (nothing here names a client or a
 * secret).
 * - `GET /health`, `GET /api/v1/health/live`: liveness, from memory only, so they stay fast
 *   under load and never fail because a dependency does (restarting would not fix it).
 * - `GET /api/v1/health/ready`: 503 when PostgreSQL or Redis is unreachable.
 * - `GET /api/v1/health`: every check; 200 when healthy or degraded, 503 when unhealthy.
 */
export function createHealthRoutes(version: string, health?: HealthService): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    noStore(res).json(liveness(version));
  });
  if (!health) return router;
  router.get('/api/v1/health/live', (_req, res) => {
    noStore(res).json(liveness(version));
  });
  router.get('/api/v1/health/ready', async (_req, res) => {
    const ready = await health.ready();
    noStore(res)
      .status(ready.status === 'unhealthy' ? 503 : 200)
      .json(ready);
  });
  router.get('/api/v1/health', async (_req, res) => {
    const report = await health.report();
    noStore(res)
      .status(report.status === 'unhealthy' ? 503 : 200)
      .json(report);
  });
  return router;
}
