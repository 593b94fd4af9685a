import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import winston from 'winston';
import { startApiServer, type ApiServer } from '@genq/api';
import type { Logger } from '@genq/core';
import {
  createDatabase,
  createJobsRepository,
  createRecoveryRepository,
  type Database,
  type JobsRepository,
} from '@genq/db';
import { builtinGenerators, createGeneratorRegistry, type AnyGenerator } from '@genq/generators';
import { createBlockingRedis, createFastFailRedis, redisKeys } from '@genq/queue';
import { createArtifactStore, startWorkerProcess, type WorkerProcess } from '@genq/worker';
import { createTestDatabase, type TestDatabase } from './database.ts';

export interface StackOptions {
  /** In-process worker processes to start (default 1). */
  workers?: number;
  concurrency?: number;
  maxRetries?: number;
  retryDelayMs?: number;
  generators?: AnyGenerator[];
  /** Generators the workers serve (default: all). */
  workerGenerators?: string[];
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
}

export interface TestStack {
  url: string;
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

export function testLogger(): Logger {
  return winston.createLogger({
    level: process.env.GENQ_TEST_LOG_LEVEL ?? 'error',
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn'] })],
    format: winston.format.simple(),
  });
}

/**
 * A whole genq in this process, on the real Redis and PostgreSQL: its own database, its own
 * Redis key prefix and artifacts folder, an API on a free port and N worker processes.
 */
export async function startTestStack(options: StackOptions = {}): Promise<TestStack> {
  const REDIS_URL = options.redisUrl ?? DEFAULT_REDIS_URL;
  const prefix = `genqtest-${randomBytes(4).toString('hex')}`;
  const database = await createTestDatabase();
  const artifactsDir = await mkdtemp(path.join(os.tmpdir(), 'genq-artifacts-'));
  const logger = testLogger();
  const registry = createGeneratorRegistry(options.generators ?? builtinGenerators);
  const keys = redisKeys(prefix);
  const db = createDatabase({ databaseUrl: database.url, poolSize: 5 });
  const connections: Redis[] = [];
  const track = (redis: Redis): Redis => {
    connections.push(redis);
    return redis;
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
      maxBodyBytes: 1_048_576,
      queueMaxPending: options.queueMaxPending,
      version: 'test',
    },
    0,
  );

  const workers: WorkerProcess[] = [];
  const startWorker = async (): Promise<WorkerProcess> => {
    const worker = await startWorkerProcess({
      redis: track(createBlockingRedis(REDIS_URL)),
      subscriber: track(createBlockingRedis(REDIS_URL)),
      createBlockingConnection: () => track(createBlockingRedis(REDIS_URL)),
      keys,
      prefix,
      jobs: createJobsRepository(db),
      recovery: createRecoveryRepository(db),
      registry,
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
      priorityAging: {
        db,
        thresholdSeconds: options.priorityAgingSeconds ?? 300,
        intervalMs: options.priorityAgingIntervalMs,
      },
    });
    workers.push(worker);
    return worker;
  };
  for (let i = 0; i < (options.workers ?? 1); i += 1) await startWorker();

  return {
    url: api.url,
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
