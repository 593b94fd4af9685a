import { Router } from 'express';
import type { QueueStatsService } from './queue-stats.ts';

export function createQueueRoutes(stats: QueueStatsService): Router {
  const router = Router();
  router.get('/queue/stats', async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(await stats.stats());
  });
  return router;
}
