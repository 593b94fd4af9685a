import { Router, type RequestHandler } from 'express';
import { clientOf } from '../auth/middleware.ts';
import type { QueueStatsService } from './queue-stats.ts';

/**
 * `GET /api/v1/queue/stats`. `guards` authenticate (requireClientOrOperator) and limit the
 * request: an operator (admin key or metrics token) gets the whole fleet's stats, worker
 * identities included; a client key gets its own counts and the fleet-wide figures without
 * identities (see ClientQueueStats).
 */
export function createQueueRoutes(stats: QueueStatsService, guards: RequestHandler[]): Router {
  const router = Router();
  router.get('/queue/stats', ...guards, async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(req.operator ? await stats.stats() : await stats.forClient(clientOf(req).clientId));
  });
  return router;
}
