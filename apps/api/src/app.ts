import cors from 'cors';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ErrorReporter, Logger } from '@genq/core';
import type { GeneratorRegistry } from '@genq/generators';
import { createAdminRoutes } from './admin/admin-routes.ts';
import type { AdminService } from './admin/admin-service.ts';
import type { Authenticator } from './auth/authenticator.ts';
import { requireAdmin, requireClient } from './auth/middleware.ts';
import { requireClientOrOperator } from './auth/operator.ts';
import { createBatchRoutes } from './batches/batch-routes.ts';
import type { BatchService } from './batches/batch-service.ts';
import { createDashboardRoutes } from './dashboard/index.ts';
import { createGeneratorRoutes } from './generator-routes.ts';
import { createHealthRoutes } from './health/health-routes.ts';
import type { HealthService } from './health/health-service.ts';
import type { StatusService } from './health/status.ts';
import { createErrorHandler, notFoundHandler } from './http/error-handler.ts';
import { requireJsonBody } from './http/content-type.ts';
import { rejectHostileJson } from './http/json-guard.ts';
import { createRateLimiters, type RateLimitSettings } from './http/rate-limit.ts';
import { requestId } from './http/request-id.ts';
import { createJobRoutes } from './jobs/job-routes.ts';
import type { JobService } from './jobs/job-service.ts';
import type { ApiMetrics } from './metrics/api-metrics.ts';
import { createMetricsRoutes } from './metrics/metrics-routes.ts';
import { observeRequests } from './metrics/request-observer.ts';
import { createOpenApiRoutes } from './openapi/routes.ts';
import { createQueueRoutes } from './queue/queue-routes.ts';
import type { QueueStatsService } from './queue/queue-stats.ts';

export interface HttpSettings {
  maxBodyBytes: number;
  /** Largest number of requests in one batch. */
  maxBatchSize: number;
  rateLimit: RateLimitSettings;
  /** Express `trust proxy`; undefined trusts none. */
  trustProxy?: string;
  corsOrigins: string[];
}

export interface AppDeps {
  jobs: JobService;
  batches: BatchService;
  queueStats: QueueStatsService;
  admin: AdminService;
  auth: Authenticator;
  registry: GeneratorRegistry;
  /** Rate-limit counters live here, shared by every API process. */
  redis: Redis;
  prefix: string;
  logger: Logger;
  version: string;
  http: HttpSettings;
  /** Health checks, GET /status and GET /metrics; without them only GET /health is served. */
  operations?: {
    health: HealthService;
    status: StatusService;
    metrics: ApiMetrics;
    /** GENQ_METRICS_TOKEN: when set, /status and /metrics need it as a bearer token. */
    metricsToken?: string;
  };
  /** Unexpected errors (500) are reported here too: Sentry when SENTRY_DSN is set. */
  errorReporter?: ErrorReporter;
  /** BullMQ queues shown by the ops view (bull-board at /admin/queues, admin key). */
  opsQueues?: Queue[];
  /** The built dashboard served at `/` (default: apps/dashboard/dist of this checkout). */
  dashboardDir?: string;
}

/** The Express app: HTTP at the edge, plain service calls inside. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  if (deps.http.trustProxy !== undefined)
    app.set('trust proxy', trustProxyValue(deps.http.trustProxy));
  app.use(requestId);
  app.use(observeRequests(deps.logger, deps.operations?.metrics));
  app.use(createHealthRoutes(deps.version, deps.operations?.health));
  if (deps.operations) {
    const { metrics, status, metricsToken } = deps.operations;
    app.use(createMetricsRoutes({ metrics, status, token: metricsToken }));
  }
  app.use(helmet());
  app.use(cors({ origin: deps.http.corsOrigins, maxAge: 600 }));
  app.use(requireJsonBody);
  app.use(express.json({ limit: deps.http.maxBodyBytes, strict: true }));
  app.use(rejectHostileJson);

  const limits = createRateLimiters(deps.redis, deps.prefix, deps.http.rateLimit);

  // Everything a client does: authenticated once, then limited per key by its tier.
  const clientRoutes = express.Router();
  clientRoutes.use(requireClient(deps.auth), limits.perKey);
  clientRoutes.use(createBatchRoutes(deps.batches, deps.http.maxBatchSize));
  clientRoutes.use(createJobRoutes(deps.jobs));

  const v1 = express.Router();
  // Clients see their own counts; the admin key and the metrics token see the whole fleet.
  v1.use(
    createQueueRoutes(deps.queueStats, [
      requireClientOrOperator(deps.auth, deps.operations?.metricsToken),
      limits.perKey,
    ]),
  );
  v1.use(createGeneratorRoutes(deps.registry, [limits.perAddress]));
  v1.use('/admin', limits.perAddress, requireAdmin(deps.auth), createAdminRoutes(deps.admin));
  v1.use(
    createOpenApiRoutes({ version: deps.version, maxBatchSize: deps.http.maxBatchSize }, [
      limits.perAddress,
    ]),
  );
  v1.use(clientRoutes);
  app.use('/api/v1', v1);
  // The dashboard at / and bull-board at /admin/queues, each with its own CSP.
  app.use(
    createDashboardRoutes({
      auth: deps.auth,
      queues: deps.opsQueues ?? [],
      distDir: deps.dashboardDir,
    }),
  );

  app.use(notFoundHandler);
  app.use(createErrorHandler(deps.logger, deps.errorReporter));
  return app;
}

/** `1` → hop count, `true`/`false`, otherwise addresses or names such as `loopback`. */
function trustProxyValue(value: string): number | boolean | string {
  if (/^\d+$/.test(value)) return Number(value);
  if (value === 'true' || value === 'false') return value === 'true';
  return value;
}
