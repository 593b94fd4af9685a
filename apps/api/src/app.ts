import express, { type Express } from 'express';
import type { Logger } from '@genq/core';
import type { GeneratorRegistry } from '@genq/generators';
import { createBatchRoutes } from './batches/batch-routes.ts';
import type { BatchService } from './batches/batch-service.ts';
import { createGeneratorRoutes } from './generator-routes.ts';
import { createLivenessRoutes } from './health-routes.ts';
import { createErrorHandler, notFoundHandler } from './http/error-handler.ts';
import { requestId } from './http/request-id.ts';
import { createJobRoutes } from './jobs/job-routes.ts';
import { createQueueRoutes } from './queue/queue-routes.ts';
import type { QueueStatsService } from './queue/queue-stats.ts';
import type { JobService } from './jobs/job-service.ts';

export interface AppDeps {
  jobs: JobService;
  batches: BatchService;
  /** Largest number of requests in one batch. */
  maxBatchSize: number;
  queueStats: QueueStatsService;
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
  v1.use(createBatchRoutes(deps.batches, deps.maxBatchSize));
  v1.use(createJobRoutes(deps.jobs));
  v1.use(createGeneratorRoutes(deps.registry));
  v1.use(createQueueRoutes(deps.queueStats));
  app.use('/api/v1', v1);

  app.use(notFoundHandler);
  app.use(createErrorHandler(deps.logger));
  return app;
}
