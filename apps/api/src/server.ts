import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import type { ErrorReporter, Logger } from '@genq/core';
import {
  createAgingRepository,
  createBatchesRepository,
  createClientsRepository,
  createJobsRepository,
  createRecoveryRepository,
  type Database,
} from '@genq/db';
import { createJobLifecycle } from '@genq/jobs';
import type { GeneratorRegistry } from '@genq/generators';
import {
  createJobEventPublisher,
  createWebhookNotifier,
  DEFAULT_WEBHOOK_RETRY,
  publishControl,
  recordOutcome,
  subscribeAuthEvents,
  subscribeJobEvents,
  type RedisKeys,
  type SchedulingSettings,
  type WebhookRetryPolicy,
} from '@genq/queue';
import { createAdminService } from './admin/admin-service.ts';
import { createApp, type HttpSettings } from './app.ts';
import { createAuthenticator, presentedKey } from './auth/authenticator.ts';
import { createBatchService } from './batches/batch-service.ts';
import type { DiskThresholds } from './health/checks.ts';
import { createHealthService } from './health/health-service.ts';
import { createStatusService } from './health/status.ts';
import { answerClientError } from './http/client-error.ts';
import { createJobService } from './jobs/job-service.ts';
import { createApiMetrics } from './metrics/api-metrics.ts';
import { createQueueLimit } from './queue/queue-limit.ts';
import { createQueuePositions } from './queue/queue-positions.ts';
import { createQueueStats } from './queue/queue-stats.ts';
import { createApiJobQueue } from './queue/scheduling.ts';
import { createWebhookTargets } from './webhooks/webhook-targets.ts';
import { createWebSocketGateway } from './ws/gateway.ts';
import type { SocketLimits } from './ws/socket-limits.ts';

export interface ApiServerDeps {
  db: Database;
  /** Fail-fast connection for requests. */
  redis: Redis;
  /** Dedicated to pub/sub. */
  subscriber: Redis;
  keys: RedisKeys;
  prefix: string;
  registry: GeneratorRegistry;
  logger: Logger;
  artifactsDir: string;
  /** The built dashboard served at `/` (default: apps/dashboard/dist of this checkout). */
  dashboardDir?: string;
  maxAttempts: number;
  /** Most waiting jobs before submissions get 503 queue_full (GENQ_QUEUE_MAX_PENDING); 0 = none. */
  queueMaxPending?: number;
  /** GENQ_ADMIN_KEY: admin routes are closed without it. */
  adminKey?: string;
  http: HttpSettings;
  /** Open WebSockets one API key may hold. */
  maxSocketsPerKey?: number;
  /** GENQ_WS_MAX_SUBSCRIPTIONS, GENQ_WS_MESSAGES_PER_SECOND, GENQ_WS_MESSAGE_BURST. */
  socketLimits?: Partial<SocketLimits>;
  version: string;
  /** GENQ_SCHEDULING and its settings; absent = strict (BullMQ priorities only). */
  scheduling?: SchedulingSettings;
  /** GENQ_WEBHOOK_ALLOWLIST (empty by default) and the retry policy of deliveries enqueued here. */
  webhooks?: { allowlist: string[]; retry?: WebhookRetryPolicy };
  /** GENQ_METRICS_TOKEN: /status and /metrics need it as a bearer token when set. */
  metricsToken?: string;
  /** GENQ_HEALTH_DISK_*_PERCENT (10 and 2 by default). */
  diskThresholds?: Partial<DiskThresholds>;
  /** Unexpected errors (500) are reported here (Sentry when SENTRY_DSN is set). */
  errorReporter?: ErrorReporter;
}

/** Wires the API process: HTTP app, WebSocket gateway and the Redis event subscription. */
export async function startApiServer(deps: ApiServerDeps, port: number, host = '127.0.0.1') {
  // Strict: BullMQ priorities; fair: the fair scheduler in front of BullMQ (docs/scheduling.md).
  const {
    queue,
    fair,
    close: closeQueue,
  } = createApiJobQueue({
    db: deps.db,
    redis: deps.redis,
    keys: deps.keys,
    prefix: deps.prefix,
    generators: deps.registry.names(),
    logger: deps.logger,
    scheduling: deps.scheduling,
  });
  // queueLimit.assertQueueHasRoom(count) guards every submission path, before any write.
  const queueLimit = createQueueLimit({
    redis: deps.redis,
    prefix: deps.prefix,
    queue,
    maxPending: deps.queueMaxPending ?? 100_000,
  });
  const positions = createQueuePositions({
    redis: deps.redis,
    keys: deps.keys,
    prefix: deps.prefix,
    queue,
    registry: deps.registry,
    fair,
  });
  const webhookTargets = createWebhookTargets({ allowlist: deps.webhooks?.allowlist ?? [] });
  const webhooks = createWebhookNotifier({
    connection: deps.redis,
    prefix: deps.prefix,
    retry: deps.webhooks?.retry ?? DEFAULT_WEBHOOK_RETRY,
    logger: deps.logger,
  });
  const jobsRepository = createJobsRepository(deps.db);
  // The API's transitions: submit and cancel (packages/jobs).
  const lifecycle = createJobLifecycle({
    jobs: jobsRepository,
    recovery: createRecoveryRepository(deps.db),
    aging: createAgingRepository(deps.db),
    queue,
    publisher: createJobEventPublisher(deps.redis, deps.keys),
    logger: deps.logger,
    webhooks,
    recordAttempt: (attempt) => recordOutcome(deps.redis, deps.prefix, attempt),
    signalCancel: (jobId) =>
      publishControl(deps.redis, deps.keys, { type: 'cancel', job_id: jobId }),
  });
  const jobs = createJobService({
    jobs: jobsRepository,
    lifecycle,
    registry: deps.registry,
    redis: deps.redis,
    keys: deps.keys,
    artifactsDir: deps.artifactsDir,
    maxAttempts: deps.maxAttempts,
    positions,
    queueLimit,
    webhookTargets,
  });
  const batches = createBatchService({
    jobs: jobsRepository,
    batches: createBatchesRepository(deps.db),
    lifecycle,
    registry: deps.registry,
    redis: deps.redis,
    keys: deps.keys,
    artifactsDir: deps.artifactsDir,
    maxAttempts: deps.maxAttempts,
    logger: deps.logger,
    queueLimit,
    webhookTargets,
  });
  const clients = createClientsRepository(deps.db);
  const auth = createAuthenticator({ clients, adminKey: deps.adminKey });
  const admin = createAdminService({ clients, auth, redis: deps.redis, keys: deps.keys });
  const queueStats = createQueueStats({
    jobs: jobsRepository,
    redis: deps.redis,
    keys: deps.keys,
    prefix: deps.prefix,
    queue,
    registry: deps.registry,
    fair,
  });
  // Scrapes and status requests only arrive once the server listens, after the gateway exists.
  const connectionCount = (): number => gateway.connectionCount();
  const metrics = createApiMetrics({
    queueStats,
    redis: deps.redis,
    prefix: deps.prefix,
    logger: deps.logger,
    connectionCount,
  });
  const app = createApp({
    jobs,
    admin,
    auth,
    redis: deps.redis,
    prefix: deps.prefix,
    http: deps.http,
    queueStats,
    batches,
    registry: deps.registry,
    logger: deps.logger,
    version: deps.version,
    opsQueues: queue.queues(),
    dashboardDir: deps.dashboardDir,
    operations: {
      health: createHealthService({
        db: deps.db,
        redis: deps.redis,
        keys: deps.keys,
        prefix: deps.prefix,
        registry: deps.registry,
        queueStats,
        artifactsDir: deps.artifactsDir,
        queueMaxPending: deps.queueMaxPending ?? 100_000,
        disk: deps.diskThresholds,
        version: deps.version,
      }),
      status: createStatusService({
        queueStats,
        requestsInFlight: metrics.requestsInFlight,
        connectionCount,
        version: deps.version,
      }),
      metrics,
      metricsToken: deps.metricsToken,
    },
    errorReporter: deps.errorReporter,
  });
  const gateway = createWebSocketGateway({
    authenticate: async (request) => {
      const principal = await auth.authenticate(
        presentedKey({
          ...request.headers,
          protocolKey: request.headers['sec-websocket-protocol'],
        }),
      );
      return principal?.kind === 'client'
        ? { clientId: principal.clientId, keyId: principal.keyId }
        : null;
    },
    maxSocketsPerKey: deps.maxSocketsPerKey,
    limits: deps.socketLimits,
    loadSnapshot: (id, clientId) => jobs.snapshot(id, clientId),
    loadBatchSnapshot: (id, clientId) => batches.snapshot(id, clientId),
    logger: deps.logger,
  });
  // Every API process forgets revoked keys and closes their sockets, wherever revoked.
  const authEvents = await subscribeAuthEvents(
    deps.subscriber,
    deps.keys,
    (event) => {
      if (event.type === 'key_revoked') {
        auth.forgetKey(event.key_id);
        gateway.closeOwnedBy({ keyId: event.key_id });
      } else {
        auth.forgetClient(event.client_id);
        gateway.closeOwnedBy({ clientId: event.client_id });
      }
    },
    deps.logger,
  );
  const events = await subscribeJobEvents(
    deps.subscriber,
    deps.keys,
    (event, raw) => gateway.dispatch(event, raw),
    deps.logger,
    () => gateway.hasSubscriptions(),
  );

  const server: Server = createServer(app);
  server.on('clientError', answerClientError);
  server.on('upgrade', (request, socket, head) => {
    if (!gateway.handleUpgrade(request, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;

  return {
    server,
    port: address.port,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`,
    async close(): Promise<void> {
      await gateway.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await events.close();
      await authEvents.close();
      await closeQueue();
      await webhooks.close();
    },
  };
}

export type ApiServer = Awaited<ReturnType<typeof startApiServer>>;
