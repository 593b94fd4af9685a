import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import winston from 'winston';
import {
  startApiServer,
  type ApiServer,
  type RateLimitSettings,
  type SocketLimits,
} from '@genq/api';
import type { Logger } from '@genq/core';
import {
  createDatabase,
  createJobsRepository,
  createAgingRepository,
  createRecoveryRepository,
  createSchedulingRepository,
  createWebhooksRepository,
  type ClientTier,
  type Database,
  type JobsRepository,
} from '@genq/db';
import { builtinGenerators, createGeneratorRegistry, type AnyGenerator } from '@genq/generators';
import {
  createBlockingRedis,
  createFastFailRedis,
  DEFAULT_SCHEDULING,
  redisKeys,
  type PerTier,
  type SchedulingMode,
  type SchedulingSettings,
} from '@genq/queue';
import {
  createArtifactStore,
  createMainLoopExecutor,
  startWorkerProcess,
  type WorkerProcess,
} from '@genq/worker';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { requestJson, type JsonResponse } from './http.ts';

export interface StackOptions {
  /** In-process worker processes to start (default 1). */
  workers?: number;
  concurrency?: number;
  /** How long a stopped attempt may take to end before it is let go (default 1 s). */
  killGraceMs?: number;
  maxRetries?: number;
  retryDelayMs?: number;
  generators?: AnyGenerator[];
  /** Generators the workers serve (default: all). */
  workerGenerators?: string[];
  /** Tier of the default client (premium unless set). */
  tier?: ClientTier;
  /** Rate limiting is off in tests unless set. */
  rateLimit?: Partial<Omit<RateLimitSettings, 'enabled' | 'allowlist'>>;
  maxBodyBytes?: number;
  maxBatchSize?: number;
  maxSocketsPerKey?: number;
  /** Per-WebSocket caps of the API (default: production's, DEFAULT_SOCKET_LIMITS). */
  socketLimits?: Partial<SocketLimits>;
  /** Defaults to REDIS_URL or the local Redis. */
  redisUrl?: string;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  reconcileIntervalMs?: number;
  abandonedAfterMs?: number;
  /** GENQ_QUEUE_MAX_PENDING of the API (default 100,000). */
  queueMaxPending?: number;
  /** GENQ_PRIORITY_AGING_SECONDS of the workers (default 300; 0 = off). */
  priorityAgingSeconds?: number;
  /** How often workers run a priority aging round (default 10 s). */
  priorityAgingIntervalMs?: number;
  /** GENQ_SCHEDULING of the API and the workers (default fair, as in production). */
  scheduling?: SchedulingMode;
  /** GENQ_TIER_WEIGHTS (default premium 6, standard 3, free 1). */
  tierWeights?: Partial<PerTier>;
  /** GENQ_TIER_CONCURRENCY (default premium 32, standard 8, free 2). */
  tierConcurrency?: Partial<PerTier>;
  /** GENQ_WEBHOOK_ALLOWLIST of the API and the workers (default empty), e.g. ['127.0.0.1']. */
  webhookAllowlist?: string[];
  /** Webhook delivery attempts (default 6). */
  webhookMaxAttempts?: number;
  /** Webhook base backoff (default 100 ms, so retries are quick in tests). */
  webhookRetryDelayMs?: number;
  /** Per webhook delivery attempt (default 2 s). */
  webhookTimeoutMs?: number;
  /** Logger of the API and the workers (default: errors only, to the console). */
  logger?: Logger;
  /** GENQ_METRICS_TOKEN of the API (default none: /metrics and /status are open). */
  metricsToken?: string;
  /** GENQ_METRICS_PUSH_INTERVAL_MS of the workers (default 10 s). */
  metricsPushIntervalMs?: number;
}

export interface TestClient {
  clientId: string;
  keyId: string;
  apiKey: string;
  /** `Authorization: Bearer <key>` */
  headers: Record<string, string>;
  /** Signs the client's webhook deliveries. */
  webhookSecret: string;
}

export interface TestStack {
  url: string;
  /** The default client (tier from the options, premium by default). */
  client: TestClient;
  apiKey: string;
  authHeaders: Record<string, string>;
  adminKey: string;
  createClient(tier?: ClientTier, name?: string): Promise<TestClient>;
  /** JSON request to the API as the default client (or `as`). */
  http<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    as?: TestClient,
  ): Promise<JsonResponse<T>>;
  redisUrl: string;
  wsUrl: string;
  prefix: string;
  artifactsDir: string;
  database: TestDatabase;
  db: Database;
  jobs: JobsRepository;
  redis: Redis;
  api: ApiServer;
  workers: WorkerProcess[];
  logger: Logger;
  startWorker(): Promise<WorkerProcess>;
  close(): Promise<void>;
}

const DEFAULT_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Silent unless GENQ_TEST_LOG_LEVEL is set: tests make jobs fail on purpose, and a passing
 * run prints nothing but its summary.
 */
export function testLogger(): Logger {
  const level = process.env.GENQ_TEST_LOG_LEVEL;
  return winston.createLogger({
    level: level ?? 'error',
    silent: !level,
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn'] })],
    format: winston.format.simple(),
  });
}

/** Creates a client of `tier` and a key for it through the admin API, as an operator would. */
export async function provisionClient(
  url: string,
  adminKey: string,
  tier: ClientTier = 'premium',
  name?: string,
): Promise<TestClient> {
  const admin = { authorization: `Bearer ${adminKey}` };
  const created = await requestJson<{ id: string; webhook_secret: string }>(
    'POST',
    `${url}/api/v1/admin/clients`,
    { name: name ?? `client-${randomBytes(4).toString('hex')}`, tier },
    admin,
  );
  if (created.status !== 201) throw new Error(`could not create a client: ${created.status}`);
  const key = await requestJson<{ id: string; key: string }>(
    'POST',
    `${url}/api/v1/admin/clients/${created.body.id}/keys`,
    {},
    admin,
  );
  if (key.status !== 201) throw new Error(`could not create a key: ${key.status}`);
  return {
    clientId: created.body.id,
    keyId: key.body.id,
    apiKey: key.body.key,
    headers: { authorization: `Bearer ${key.body.key}` },
    webhookSecret: created.body.webhook_secret,
  };
}

/**
 * A whole genq in this process, on the real Redis and PostgreSQL: its own database, its own
 * Redis key prefix and artifacts folder, an API on a free port and N worker processes.
 */
export async function startTestStack(options: StackOptions = {}): Promise<TestStack> {
  const REDIS_URL = options.redisUrl ?? DEFAULT_REDIS_URL;
  const prefix = `genqtest-${randomBytes(4).toString('hex')}`;
  const adminKey = `admin-${randomBytes(24).toString('hex')}`;
  const database = await createTestDatabase();
  const artifactsDir = await mkdtemp(path.join(os.tmpdir(), 'genq-artifacts-'));
  const logger = options.logger ?? testLogger();
  const registry = createGeneratorRegistry(options.generators ?? builtinGenerators);
  const keys = redisKeys(prefix);
  const db = createDatabase({ databaseUrl: database.url, poolSize: 5 });
  const connections: Redis[] = [];
  const track = (redis: Redis): Redis => {
    connections.push(redis);
    return redis;
  };
  const webhookAllowlist = options.webhookAllowlist ?? [];
  const webhookRetry = {
    maxAttempts: options.webhookMaxAttempts ?? 6,
    retryDelayMs: options.webhookRetryDelayMs ?? 100,
  };
  const scheduling: SchedulingSettings = {
    mode: options.scheduling ?? DEFAULT_SCHEDULING.mode,
    weights: { ...DEFAULT_SCHEDULING.weights, ...options.tierWeights },
    concurrency: { ...DEFAULT_SCHEDULING.concurrency, ...options.tierConcurrency },
  };
  const redis = track(createFastFailRedis(REDIS_URL));
  await new Promise<void>((resolve) => redis.once('ready', () => resolve()));

  const api = await startApiServer(
    {
      db,
      redis,
      subscriber: track(createBlockingRedis(REDIS_URL)),
      keys,
      prefix,
      registry,
      logger,
      artifactsDir,
      maxAttempts: (options.maxRetries ?? 3) + 1,
      queueMaxPending: options.queueMaxPending,
      adminKey,
      http: {
        maxBodyBytes: options.maxBodyBytes ?? 1_048_576,
        maxBatchSize: options.maxBatchSize ?? 100,
        corsOrigins: [],
        rateLimit: {
          enabled: options.rateLimit !== undefined,
          windowMs: options.rateLimit?.windowMs ?? 60_000,
          perTier: options.rateLimit?.perTier ?? { premium: 1000, standard: 1000, free: 1000 },
          anonymous: options.rateLimit?.anonymous ?? 1000,
          allowlist: [],
        },
      },
      maxSocketsPerKey: options.maxSocketsPerKey,
      socketLimits: options.socketLimits,
      scheduling,
      version: 'test',
      webhooks: { allowlist: webhookAllowlist, retry: webhookRetry },
      metricsToken: options.metricsToken,
    },
    0,
  );

  const createClient = (tier: ClientTier = 'premium', name?: string): Promise<TestClient> =>
    provisionClient(api.url, adminKey, tier, name);
  const client = await createClient(options.tier ?? 'premium');

  const workers: WorkerProcess[] = [];
  const startWorker = async (): Promise<WorkerProcess> => {
    const worker = await startWorkerProcess({
      redis: track(createBlockingRedis(REDIS_URL)),
      events: track(createBlockingRedis(REDIS_URL, { enableAutoPipelining: true })),
      subscriber: track(createBlockingRedis(REDIS_URL)),
      createBlockingConnection: () => track(createBlockingRedis(REDIS_URL)),
      keys,
      prefix,
      jobs: createJobsRepository(db),
      recovery: createRecoveryRepository(db),
      aging: createAgingRepository(db),
      registry,
      // Generators given as objects cannot cross into a thread: tests of isolation run the
      // real worker process (process-stack.ts).
      executor: createMainLoopExecutor({ registry, killGraceMs: options.killGraceMs ?? 1000 }),
      artifacts: createArtifactStore(artifactsDir),
      logger,
      generators: options.workerGenerators ?? registry.names(),
      concurrency: options.concurrency ?? 2,
      retryDelayMs: options.retryDelayMs ?? 50,
      progressDbIntervalMs: 200,
      lockDurationMs: options.lockDurationMs ?? 30_000,
      stalledIntervalMs: options.stalledIntervalMs ?? 15_000,
      reconcileIntervalMs: options.reconcileIntervalMs ?? 60_000,
      abandonedAfterMs: options.abandonedAfterMs ?? 60_000,
      scheduling: { settings: scheduling, repository: createSchedulingRepository(db) },
      priorityAging: {
        thresholdSeconds: options.priorityAgingSeconds ?? 300,
        intervalMs: options.priorityAgingIntervalMs,
      },
      webhooks: {
        repository: createWebhooksRepository(db),
        allowlist: webhookAllowlist,
        retry: webhookRetry,
        timeoutMs: options.webhookTimeoutMs ?? 2_000,
        concurrency: 2,
        userAgent: 'genq-webhooks/test',
      },
      metricsPushIntervalMs: options.metricsPushIntervalMs,
    });
    workers.push(worker);
    return worker;
  };
  for (let i = 0; i < (options.workers ?? 1); i += 1) await startWorker();

  return {
    url: api.url,
    client,
    apiKey: client.apiKey,
    authHeaders: client.headers,
    adminKey,
    createClient,
    http: (method, urlPath, body, as) =>
      requestJson(method, `${api.url}${urlPath}`, body, (as ?? client).headers),
    redisUrl: REDIS_URL,
    wsUrl: api.url.replace(/^http/, 'ws'),
    prefix,
    artifactsDir,
    database,
    db,
    jobs: createJobsRepository(db),
    redis,
    api,
    workers,
    logger,
    startWorker,
    async close() {
      await Promise.all(workers.map((w) => w.close(2_000)));
      await api.close();
      await deleteKeys(redis, `${prefix}:*`);
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
      await db.$disconnect();
      await database.drop();
      await rm(artifactsDir, { recursive: true, force: true });
    },
  };
}

async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
