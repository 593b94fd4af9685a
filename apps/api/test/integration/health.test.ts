import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { defineGenerator, noopGenerator, testDataGenerator } from '@genq/generators';
import {
  requestJson,
  startPrivateRedis,
  startTestStack,
  waitForPort,
  waitUntil,
  type PrivateRedis,
  type TestStack,
} from '@genq/test-utils';

interface Check {
  name: string;
  status: 'healthy' | 'degraded' | 'unhealthy';
  message: string;
  details: Record<string, unknown>;
}

interface Report {
  status: Check['status'];
  checks: Record<string, Check>;
  version: string;
  uptime_seconds: number;
  timestamp: string;
}

const CHECKS = ['database', 'redis', 'queue', 'disk_space', 'workers', 'gpu'];

/** Health routes need no key: every request here goes without one. */
const get = <T = Report>(stack: TestStack, path: string) =>
  requestJson<T>('GET', `${stack.url}${path}`);

describe('health of a running genq', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ workers: 1, generators: [noopGenerator, testDataGenerator] });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('answers liveness from memory, without a key', async () => {
    for (const path of ['/health', '/api/v1/health/live']) {
      const res = await get<Record<string, unknown>>(stack, path);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'ok', version: 'test' });
      expect(typeof res.body.uptime_seconds).toBe('number');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('is ready when PostgreSQL and Redis answer', async () => {
    const res = await get(stack, '/api/v1/health/ready');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('healthy');
    expect(res.body.checks.database?.status).toBe('healthy');
    expect(res.body.checks.redis?.status).toBe('healthy');
  });

  it('lists every check with its status, message and details', async () => {
    const started = Date.now();
    const res = await get(stack, '/api/v1/health');
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(res.status).toBe(200);
    const { checks } = res.body;
    expect(Object.keys(checks).sort()).toEqual([...CHECKS].sort());
    for (const name of CHECKS) {
      expect(checks[name]).toMatchObject({ name, status: expect.any(String) });
      expect(typeof checks[name]!.message).toBe('string');
      expect(typeof checks[name]!.details).toBe('object');
    }
    expect(res.body).toMatchObject({ version: 'test', timestamp: expect.stringMatching(/Z$/) });
    expect(typeof res.body.uptime_seconds).toBe('number');

    expect(checks.database!.status).toBe('healthy');
    // The eviction policy as the server reports it; genq wants noeviction.
    const [, policy] = (await stack.redis.config('GET', 'maxmemory-policy')) as string[];
    expect(checks.redis!.details.maxmemory_policy).toBe(policy);
    expect(checks.redis!.status).toBe(policy === 'noeviction' ? 'healthy' : 'degraded');
    expect(checks.queue).toMatchObject({ status: 'healthy', details: { pending: 0 } });
    expect(checks.queue!.details).toHaveProperty('oldest_pending_job_age_seconds');
    expect(checks.disk_space!.details).toMatchObject({
      free_gb: expect.any(Number),
      total_gb: expect.any(Number),
      percent_free: expect.any(Number),
    });
    expect(checks.workers).toMatchObject({
      status: 'healthy',
      details: { live_workers: 1, generators_without_workers: [] },
    });
    expect(checks.gpu).toMatchObject({ status: 'healthy', message: 'not required' });

    const order = ['healthy', 'degraded', 'unhealthy'];
    const worst = Object.values(checks).reduce(
      (w, c) => (order.indexOf(c.status) > order.indexOf(w) ? c.status : w),
      'healthy' as Check['status'],
    );
    expect(res.body.status).toBe(worst);

    // Nothing secret in what anyone may read.
    const text = JSON.stringify(res.body);
    for (const secret of [stack.apiKey, stack.adminKey, stack.database.url, stack.redisUrl]) {
      expect(text).not.toContain(secret);
    }
  });
});

/** Wants a GPU; no worker of these tests has one. */
const gpuGenerator = defineGenerator({
  name: 'gpu-test',
  description: 'a generator that needs a GPU',
  input: z.object({}).strict(),
  estimateSeconds: () => 1,
  requiresGpu: true,
  run: async () => undefined,
});

describe('health when dependencies fail', () => {
  let redis: PrivateRedis;
  let restarted: ChildProcess | undefined;
  let stack: TestStack;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    stack = await startTestStack({
      workers: 0,
      redisUrl: redis.url,
      generators: [noopGenerator, gpuGenerator],
    });
  });
  afterAll(async () => {
    await stack?.close();
    if (restarted) {
      restarted.kill('SIGTERM');
      await new Promise((resolve) => restarted!.once('exit', resolve));
    }
    await redis?.stop();
  });

  /** Polls the report until `done` (results are shared for a second). */
  const reportUntil = (done: (report: Report, status: number) => boolean) =>
    waitUntil(
      () => get(stack, '/api/v1/health'),
      (res) => done(res.body, res.status),
      10_000,
      100,
    );

  it('is degraded, naming the policy, when Redis may evict keys', async () => {
    await stack.redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
    try {
      const res = await reportUntil((r) => r.checks.redis?.status === 'degraded');
      expect(res.status).toBe(200);
      expect(res.body.checks.redis!.details.maxmemory_policy).toBe('allkeys-lru');
      expect(res.body.checks.redis!.message).toMatch(/allkeys-lru.*noeviction/);
    } finally {
      await stack.redis.config('SET', 'maxmemory-policy', 'noeviction');
    }
    await reportUntil((r) => r.checks.redis?.status === 'healthy');
  });

  it('names the generators that no live worker (with a GPU) serves', async () => {
    const res = await get(stack, '/api/v1/health');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('degraded');
    expect(res.body.checks.workers).toMatchObject({
      status: 'degraded',
      details: { live_workers: 0, generators_without_workers: ['noop', 'gpu-test'] },
    });
    expect(res.body.checks.gpu).toMatchObject({
      status: 'degraded',
      details: { required_by: ['gpu-test'], generators_without_gpu: ['gpu-test'] },
    });
    expect(res.body.checks.gpu!.message).toContain('gpu-test');
  });

  it('is not ready while Redis is unreachable, and live all along', async () => {
    const port = Number(new URL(redis.url).port);
    await redis.stop();

    const ready = await waitUntil(
      () => get(stack, '/api/v1/health/ready'),
      (res) => res.status === 503,
      10_000,
      100,
    );
    expect(ready.body.status).toBe('unhealthy');
    expect(ready.body.checks.redis).toMatchObject({ status: 'unhealthy' });
    expect(ready.body.checks.redis!.message).toMatch(/^Redis unreachable/);
    expect(ready.body.checks.database!.status).toBe('healthy');

    const started = Date.now();
    expect((await get(stack, '/health')).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(500);
    const report = await reportUntil((_r, status) => status === 503);
    expect(report.body.checks.redis!.status).toBe('unhealthy');

    // Redis comes back on the same port: genq is ready again without a restart.
    restarted = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await waitForPort(port);
    await waitUntil(
      () => get(stack, '/api/v1/health/ready'),
      (res) => res.status === 200,
      15_000,
      100,
    );
  });

  it('is not ready while PostgreSQL is unreachable, and live all along', async () => {
    await stack.database.drop();
    const ready = await waitUntil(
      () => get(stack, '/api/v1/health/ready'),
      (res) => res.status === 503,
      10_000,
      100,
    );
    expect(ready.body.checks.database).toMatchObject({ status: 'unhealthy' });
    expect(ready.body.checks.database!.message).toMatch(/^PostgreSQL unreachable/);
    expect(ready.body.checks.redis!.status).toBe('healthy');
    expect((await get(stack, '/health')).status).toBe(200);
    // The message names the failure, never the connection string.
    expect(JSON.stringify(ready.body)).not.toContain(stack.database.url);
  });
});
