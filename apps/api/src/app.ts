import express, { type Express } from 'express';
import type { Logger } from '@genq/core';
import type { GeneratorRegistry } from '@genq/generators';
import { createGeneratorRoutes } from './generator-routes.ts';
import { createLivenessRoutes } from './health-routes.ts';
import { createErrorHandler, notFoundHandler } from './http/error-handler.ts';
import { requestId } from './http/request-id.ts';
import { createJobRoutes } from './jobs/job-routes.ts';
import type { JobService } from './jobs/job-service.ts';

export interface AppDeps {
  jobs: JobService;
  registry: GeneratorRegistry;
  logger: Logger;
  version: string;
  maxBodyBytes: number;
}

/** The Express app: HTTP at the edge, plain service calls inside. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requestId);
  app.use(createLivenessRoutes(deps.version));
  app.use(express.json({ limit: deps.maxBodyBytes, strict: true }));

  const v1 = express.Router();
  v1.use(createJobRoutes(deps.jobs));
  v1.use(createGeneratorRoutes(deps.registry));
  app.use('/api/v1', v1);

  app.use(notFoundHandler);
  app.use(createErrorHandler(deps.logger));
  return app;
}
