import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  connectWebSocket,
  readZip,
  spawnGenq,
  startPrivateRedis,
  startTestStack,
  waitUntil,
  type GenqProcess,
  type PrivateRedis,
  type TestStack,
} from '@genq/test-utils';

async function submitNoops(stack: TestStack, count: number, sleepMs: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 20) {
    const chunk = await Promise.all(
      Array.from({ length: Math.min(20, count - i) }, () =>
        stack.http('POST', `/api/v1/jobs`, {
          generator: 'noop',
          input: { sleep_ms: sleepMs, write_file: true },
        }),
      ),
    );
    for (const res of chunk) {
      expect(res.status).toBe(202);
      ids.push((res.body as { id: string }).id);
    }
  }
  return ids;
}

async function expectEachResultOnce(stack: TestStack, ids: string[]): Promise<void> {
  for (const id of ids) {
    const row = await stack.jobs.findById(id);
    const zip = await readZip(await readFile(path.join(stack.artifactsDir, row!.resultPath!)));
    expect([...zip.keys()]).toEqual(['noop.txt']);
    expect(zip.get('noop.txt')!.toString()).toBe(`job ${id}\n`);
  }
}

describe('a worker killed mid-job loses nothing', () => {
  let stack: TestStack;
  const workers: GenqProcess[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ workers: 0 });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await stack?.close();
  });

  const startWorker = (): GenqProcess => {
    const worker = spawnGenq('worker', {
      DATABASE_URL: stack.database.url,
      REDIS_URL: stack.redisUrl,
      GENQ_REDIS_PREFIX: stack.prefix,
      GENQ_ARTIFACTS_DIR: stack.artifactsDir,
      GENQ_WORKER_CONCURRENCY: '8',
      LOG_LEVEL: 'warn',
      // Short locks so a dead worker's jobs are found stalled within seconds.
      GENQ_LOCK_DURATION_MS: '3000',
      GENQ_STALLED_INTERVAL_MS: '1000',
      GENQ_RECONCILE_INTERVAL_MS: '2000',
      GENQ_ABANDONED_AFTER_MS: '4000',
    });
    workers.push(worker);
    return worker;
  };

  it('completes all 200 jobs after SIGKILL and restart, each result written once', async () => {
    const ids = await submitNoops(stack, 200, 300);
    const first = startWorker();
    startWorker();
    const firstId = await waitUntil(
      async () => {
        const beats = Object.values(await stack.redis.hgetall(`${stack.prefix}:workers`));
        return beats.map((b) => JSON.parse(b) as { id: string; pid: number });
      },
      (beats) => beats.length === 2,
    ).then((beats) => beats.find((b) => b.pid === first.child.pid)!.id);
    // Kill worker 1 while it runs jobs.
    await waitUntil(
      async () => stack.db.job.count({ where: { workerId: firstId, status: 'running' } }),
      (running) => running >= 4,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    const interrupted = await stack.db.job.findMany({
      where: { workerId: firstId, status: 'running' },
      select: { id: true },
    });
    expect(interrupted.length).toBeGreaterThan(0);
    startWorker();

    await waitUntil(
      async () => stack.db.job.count({ where: { id: { in: ids }, status: 'completed' } }),
      (done) => done === 200,
      120_000,
      250,
    );
    const rerun = await stack.db.job.findMany({
      where: { id: { in: interrupted.map((j) => j.id) } },
    });
    for (const job of rerun) {
      expect(job.attempts).toBeGreaterThan(1);
      expect(job.workerId).not.toBe(firstId);
    }
    await expectEachResultOnce(stack, ids);
  }, 180_000);
});

describe('a Redis flush loses nothing', () => {
  let redis: PrivateRedis;
  let stack: TestStack;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    stack = await startTestStack({ workers: 0, redisUrl: redis.url, concurrency: 10 });
  });
  afterAll(async () => {
    await stack?.close();
    await redis?.stop();
  });

  it('keeps a live WebSocket subscriber up to date across a flush mid-job', async () => {
    await stack.startWorker();
    const res = await stack.http('POST', '/api/v1/jobs', {
      generator: 'noop',
      input: { sleep_ms: 1500, steps: 15 },
    });
    const id = (res.body as { id: string }).id;
    const ws = await connectWebSocket(`${stack.wsUrl}/ws/${id}`, stack.authHeaders);
    await ws.waitFor((m) => m.type === 'progress');
    await stack.redis.flushall();
    const done = await ws.waitFor((m) => m.status === 'completed');
    await ws.close();
    expect(done.progress).toBe(100);
    await Promise.all(stack.workers.map((w) => w.close(2_000)));
    stack.workers.length = 0;
  });

  it('re-enqueues 100 waiting jobs after FLUSHALL and completes them', async () => {
    const ids = await submitNoops(stack, 100, 0);
    await stack.redis.flushall();
    const worker = await stack.startWorker();
    // The reconciler also runs when a worker starts; run a pass now to be sure it ran.
    await worker.reconciler.runOnce();
    await waitUntil(
      async () => stack.db.job.count({ where: { id: { in: ids }, status: 'completed' } }),
      (done) => done === 100,
      60_000,
    );
    await expectEachResultOnce(stack, ids);
  });
});
