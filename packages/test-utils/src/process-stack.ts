import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createDatabase, createJobsRepository, type Database, type JobsRepository } from '@genq/db';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { freePort, spawnGenq, waitForHttp, type GenqProcess } from './processes.ts';
import { provisionClient, type TestClient } from './stack.ts';

export interface ProcessStackOptions {
  apis?: number;
  workers?: number;
  /** Extra environment for every process. */
  env?: Record<string, string>;
  /** A server of the test's own (an outage test); default: a new database on the shared one. */
  databaseUrl?: string;
  /** A Redis of the test's own (an outage test); default: the shared one, under a new prefix. */
  redisUrl?: string;
}

export interface ProcessStack {
  urls: string[];
  wsUrls: string[];
  apis: GenqProcess[];
  workers: GenqProcess[];
  env: Record<string, string>;
  prefix: string;
  adminKey: string;
  /** Absent when the test gave its own `databaseUrl`. */
  database?: TestDatabase;
  databaseUrl: string;
  db: Database;
  jobs: JobsRepository;
  redis: Redis;
  createClient(tier?: 'premium' | 'standard' | 'free'): Promise<TestClient>;
  startWorker(extraEnv?: Record<string, string>): Promise<GenqProcess>;
  close(): Promise<void>;
}

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * genq as it runs in production: separate API and worker processes (the real entry files)
 * sharing one Redis (own key prefix) and one PostgreSQL database.
 */
export async function startProcessStack(options: ProcessStackOptions = {}): Promise<ProcessStack> {
  const database = options.databaseUrl ? undefined : await createTestDatabase();
  const databaseUrl = options.databaseUrl ?? database!.url;
  const redisUrl = options.redisUrl ?? REDIS_URL;
  const artifactsDir = await mkdtemp(path.join(os.tmpdir(), 'genq-artifacts-'));
  const prefix = `genqtest-${randomBytes(4).toString('hex')}`;
  const adminKey = `admin-${randomBytes(24).toString('hex')}`;
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    GENQ_REDIS_PREFIX: prefix,
    GENQ_ARTIFACTS_DIR: artifactsDir,
    GENQ_ADMIN_KEY: adminKey,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const redis = new Redis(redisUrl);
  const db = createDatabase({ databaseUrl, poolSize: 2 });

  const apis: GenqProcess[] = [];
  const urls: string[] = [];
  for (let i = 0; i < (options.apis ?? 1); i += 1) {
    const port = await freePort();
    apis.push(spawnGenq('api', { ...env, PORT: String(port) }));
    urls.push(`http://127.0.0.1:${port}`);
  }
  await Promise.all(urls.map((url) => waitForHttp(`${url}/health`)));

  const workers: GenqProcess[] = [];
  const startWorker = async (extraEnv: Record<string, string> = {}): Promise<GenqProcess> => {
    const worker = spawnGenq('worker', { ...env, ...extraEnv });
    workers.push(worker);
    // Ready once its heartbeat is in Redis.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const beats = Object.values(await redis.hgetall(`${prefix}:workers`));
      if (beats.some((b) => (JSON.parse(b) as { pid: number }).pid === worker.child.pid)) break;
      if (Date.now() > deadline) throw new Error(`worker did not start:\n${worker.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return worker;
  };
  for (let i = 0; i < (options.workers ?? 1); i += 1) await startWorker();

  return {
    urls,
    wsUrls: urls.map((url) => url.replace(/^http/, 'ws')),
    apis,
    workers,
    env,
    prefix,
    adminKey,
    database,
    databaseUrl,
    db,
    jobs: createJobsRepository(db),
    redis,
    createClient: (tier = 'premium') => provisionClient(urls[0]!, adminKey, tier),
    startWorker,
    async close() {
      await Promise.all([...apis, ...workers].map((p) => p.stop('SIGKILL')));
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
      await redis.quit();
      await db.$disconnect();
      await database?.drop();
      await rm(artifactsDir, { recursive: true, force: true });
    },
  };
}
