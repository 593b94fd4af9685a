import { Router } from 'express';
import type { GeneratorRegistry } from '@genq/generators';

export function createGeneratorRoutes(registry: GeneratorRegistry): Router {
  const router = Router();
  const body = { generators: registry.describe() };
  router.get('/generators', (_req, res) => {
    res.json(body);
  });
  return router;
}
