import { Router, type RequestHandler } from 'express';
import type { GeneratorRegistry } from '@genq/generators';

/** Public: what genq can generate and the input each generator takes (JSON Schema). */
export function createGeneratorRoutes(
  registry: GeneratorRegistry,
  guards: RequestHandler[],
): Router {
  const router = Router();
  const body = { generators: registry.describe() };
  router.get('/generators', ...guards, (_req, res) => {
    res.json(body);
  });
  return router;
}
