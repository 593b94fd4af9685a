import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  spawnGenq,
  startTestStack,
  waitUntil,
  type GenqProcess,
  type TestStack,
} from '@genq/test-utils';

describe('worker shutdown', () => {
  let stack: TestStack;
  const spawned: GenqProcess[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ workers: 0 });
  });
  afterAll(async () => {
    await Promise.all(spawned.map((w) => w.stop('SIGKILL')));
    await stack?.close();
  });

  const startWorker = (deadlineMs: number): GenqProcess => {
    const worker = spawnGenq('worker', {
      DATABASE_URL: stack.database.url,
      REDIS_URL: stack.redisUrl,
      GENQ_REDIS_PREFIX: stack.prefix,
      GENQ_ARTIFACTS_DIR: stack.artifactsDir,
      GENQ_SHUTDOWN_TIMEOUT_MS: String(deadlineMs),
      LOG_LEVEL: 'warn',
    });
    spawned.push(worker);
    return worker;
  };

  const submit = async (input: Record<string, unknown>): Promise<string> => {
    const res = await stack.http('POST', '/api/v1/jobs', { generator: 'noop', input });
    expect(res.status).toBe(202);
    return (res.body as { id: string }).id;
  };

  const runningOn = (id: string) =>
    waitUntil(
      () => stack.jobs.findById(id),
      (job) => job?.status === 'running',
    );

  it('lets a running job finish within the deadline, then exits 0', async () => {
    const worker = startWorker(30_000);
    const id = await submit({ sleep_ms: 1500, steps: 3 });
    await runningOn(id);
    expect(await worker.stop('SIGTERM')).toBe(0);
    expect((await stack.jobs.findById(id))?.status).toBe('completed');
  });

  it('hands a job that outlives the deadline back to the queue without using an attempt', async () => {
    const worker = startWorker(300);
    const id = await submit({ sleep_ms: 20_000, steps: 20 });
    await runningOn(id);
    expect(await worker.stop('SIGTERM')).toBe(0);
    const handedBack = await stack.jobs.findById(id);
    expect(handedBack).toMatchObject({ status: 'queued', attempts: 0 });

    const next = startWorker(30_000);
    await runningOn(id);
    await next.stop('SIGKILL');
  });

  it('exits at once on a second signal', async () => {
    const worker = startWorker(60_000);
    const id = await submit({ sleep_ms: 30_000, steps: 30 });
    await runningOn(id);
    worker.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(130);
  });
});
