import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import {
  requestJson,
  startPrivatePostgres,
  startPrivateRedis,
  startProcessStack,
  type PrivatePostgres,
  type PrivateRedis,
  type ProcessStack,
  type TestClient,
} from '@genq/test-utils';

const JOBS = 200;
/** Fast recovery settings, so an outage's aftermath is settled within the test's bounds. */
const RECOVERY_ENV = {
  GENQ_WORKER_CONCURRENCY: '8',
  GENQ_RETRY_DELAY_MS: '100',
  GENQ_RECONCILE_INTERVAL_MS: '2000',
  GENQ_ABANDONED_AFTER_MS: '5000',
  GENQ_STALLED_INTERVAL_MS: '2000',
  GENQ_LOCK_DURATION_MS: '4000',
  GENQ_PROGRESS_DB_INTERVAL_MS: '200',
};

async function submitJobs(stack: ProcessStack, client: TestClient): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < JOBS; i += 100) {
    const res = await requestJson(
      'POST',
      `${stack.urls[0]}/api/v1/jobs/batch`,
      {
        requests: Array.from({ length: Math.min(100, JOBS - i) }, () => ({
          generator: 'noop',
          input: { sleep_ms: 1000, steps: 4, write_file: true },
        })),
      },
      client.headers,
    );
    expect(res.status).toBe(202);
    ids.push(...(res.body as { job_ids: string[] }).job_ids);
  }
  return ids;
}

/** Status counts of `ids`, read on a connection of its own (retried through the outage). */
async function statusCounts(databaseUrl: string, ids: string[]): Promise<Record<string, number>> {
  for (;;) {
    const client = new pg.Client({ connectionString: databaseUrl });
    try {
      await client.connect();
      const { rows } = await client.query<{ status: string; n: string }>(
        'SELECT status, count(*) AS n FROM jobs WHERE id = ANY($1::uuid[]) GROUP BY status',
        [ids],
      );
      return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

async function expectAllCompleted(databaseUrl: string, ids: string[], withinMs: number) {
  const deadline = Date.now() + withinMs;
  let counts: Record<string, number> = {};
  while (Date.now() < deadline) {
    counts = await statusCounts(databaseUrl, ids);
    if (counts.completed === ids.length) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  expect(counts).toEqual({ completed: ids.length });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('every accepted job ends completed through a PostgreSQL restart', () => {
  let postgres: PrivatePostgres;
  let stack: ProcessStack;

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    stack = await startProcessStack({ workers: 2, databaseUrl: postgres.url, env: RECOVERY_ENV });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    await postgres?.destroy();
  });

  it('runs 200 jobs on two workers while the server restarts twice', async () => {
    const client = await stack.createClient('premium');
    const ids = await submitJobs(stack, client);
    // Each restart keeps the server down for two seconds, so that claims, progress and
    // outcome writes all meet the outage.
    for (const wait of [1_000, 2_000]) {
      await pause(wait);
      await postgres.stop();
      await pause(2_000);
      await postgres.start();
    }
    await expectAllCompleted(postgres.url, ids, 60_000);
    for (const worker of stack.workers) expect(worker.child.exitCode).toBeNull();
  }, 120_000);
});

describe('every accepted job ends completed through a Redis restart that loses everything', () => {
  let redis: PrivateRedis;
  let stack: ProcessStack;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    stack = await startProcessStack({ workers: 2, redisUrl: redis.url, env: RECOVERY_ENV });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    await redis?.stop();
  });

  it('runs 200 jobs on two workers while Redis restarts empty', async () => {
    const client = await stack.createClient('premium');
    const ids = await submitJobs(stack, client);
    await pause(1_000);
    await redis.stop();
    await pause(1_000);
    await redis.start();
    await expectAllCompleted(stack.databaseUrl, ids, 60_000);
    for (const worker of stack.workers) expect(worker.child.exitCode).toBeNull();
  }, 120_000);
});
