import { Router } from 'express';

/** Liveness: answers from memory, never touches a dependency, so it stays fast under load. */
export function createLivenessRoutes(version: string): Router {
  const router = Router();
  const startedAt = Date.now();
  router.get('/health', (_req, res) => {
    res.json({
      status: 'ok',
      version,
      uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
      timestamp: new Date().toISOString(),
    });
  });
  return router;
}
