import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { requestJson, startTestStack, waitUntil, type TestStack } from '@genq/test-utils';

interface Stats {
  pending: number;
  delayed: number;
  processing: number;
  completed: number;
  failed: number;
  cancelled: number;
  pending_by_priority: { HIGH: number; NORMAL: number; LOW: number };
  oldest_pending_job_age_seconds: number | null;
  average_processing_time_seconds: number | null;
  completed_last_minute: number;
  live_workers: number;
  workers: { id: string; concurrency: number; running: number; generators: string[] }[];
  queues: Record<string, { queue: string; pending: number; completed: number; failed: number }>;
}

interface ErrorBody {
  error: { code: string; message: string };
}

async function submit(
  stack: TestStack,
  input: Record<string, unknown>,
  priority = 'NORMAL',
  headers: Record<string, string> = {},
) {
  return requestJson<{ id: string } & ErrorBody>(
    'POST',
    `${stack.url}/api/v1/jobs`,
    { generator: 'noop', input, priority },
    { ...stack.authHeaders, ...headers },
  );
}

const readStats = async (stack: TestStack): Promise<Stats> => {
  const res = await stack.http<Stats>('GET', `/api/v1/queue/stats`);
  expect(res.status).toBe(200);
  return res.body;
};

describe('GET /api/v1/queue/stats', () => {
  let stack: TestStack;
  beforeAll(async () => {
    // No worker yet: jobs stay queued until the test starts one.
    stack = await startTestStack({ workers: 0, concurrency: 2 });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('follows a small lifecycle: submit, complete, fail, cancel while waiting and while running', async () => {
    expect(await readStats(stack)).toMatchObject({
      pending: 0,
      processing: 0,
      completed: 0,
      failed: 0,
      cancelled: 0,
      oldest_pending_job_age_seconds: null,
      average_processing_time_seconds: null,
      completed_last_minute: 0,
      live_workers: 0,
    });

    const ids = {
      ok: (await submit(stack, { sleep_ms: 50 }, 'HIGH')).body.id,
      bad: (await submit(stack, { fail: 'unrecoverable' }, 'NORMAL')).body.id,
      slow: (await submit(stack, { sleep_ms: 60_000, steps: 600 }, 'LOW')).body.id,
      dropped: (await submit(stack, {}, 'LOW')).body.id,
    };

    const waiting = await readStats(stack);
    expect(waiting).toMatchObject({
      pending: 4,
      delayed: 0,
      processing: 0,
      pending_by_priority: { HIGH: 1, NORMAL: 1, LOW: 2 },
      live_workers: 0,
    });
    expect(waiting.queues.noop).toMatchObject({ queue: 'generation.noop', pending: 4 });
    expect(waiting.queues['test-data']).toMatchObject({ pending: 0 });
    expect(waiting.oldest_pending_job_age_seconds).toBeGreaterThanOrEqual(0);
    expect(waiting.oldest_pending_job_age_seconds).toBeLessThan(30);

    // Cancelled while waiting: the API ends it and counts it at once.
    expect((await stack.http('DELETE', `/api/v1/jobs/${ids.dropped}`)).status).toBe(200);
    expect(await readStats(stack)).toMatchObject({
      pending: 3,
      cancelled: 1,
      pending_by_priority: { HIGH: 1, NORMAL: 1, LOW: 1 },
    });

    await stack.startWorker();
    await waitUntil(
      () => stack.jobs.findById(ids.slow),
      (job) => job?.status === 'running',
    );
    const busy = await waitUntil(
      () => readStats(stack),
      // Both ended and left BullMQ's active list (a job leaves it just after its row ends).
      (s) => s.completed === 1 && s.failed === 1 && s.processing === 1,
    );
    expect(busy).toMatchObject({
      pending: 0,
      processing: 1,
      completed_last_minute: 1,
      live_workers: 1,
      oldest_pending_job_age_seconds: null,
    });
    expect(busy.workers).toHaveLength(1);
    expect(busy.workers[0]).toMatchObject({ concurrency: 2 });
    expect(busy.workers[0]!.generators).toContain('noop');
    expect(busy.average_processing_time_seconds).toBeGreaterThanOrEqual(0.05);

    // Cancelled while running: the worker ends it and counts it.
    expect((await stack.http('DELETE', `/api/v1/jobs/${ids.slow}`)).status).toBe(202);
    const done = await waitUntil(
      () => readStats(stack),
      (s) => s.cancelled === 2 && s.processing === 0,
    );
    expect(done).toMatchObject({
      pending: 0,
      processing: 0,
      completed: 1,
      failed: 1,
      cancelled: 2,
      completed_last_minute: 1,
      live_workers: 1,
    });
    expect(done.queues.noop).toMatchObject({ completed: 1, failed: 1 });
    const rows = await Promise.all(Object.values(ids).map((id) => stack.jobs.findById(id)));
    expect(rows.map((row) => row?.status)).toEqual([
      'completed',
      'failed',
      'cancelled',
      'cancelled',
    ]);
  });
});

describe('queue limit (GENQ_QUEUE_MAX_PENDING)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ workers: 0, queueMaxPending: 2 });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('answers 503 queue_full with Retry-After above the limit and writes nothing', async () => {
    const first = await submit(stack, {}, 'NORMAL', { 'Idempotency-Key': 'first' });
    expect(first.status).toBe(202);
    expect((await submit(stack, {})).status).toBe(202);

    const refused = await submit(stack, { sleep_ms: 1 }, 'HIGH');
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('queue_full');
    expect(refused.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(await stack.db.job.count()).toBe(2);

    // A replay adds nothing, so it is still answered.
    const replay = await submit(stack, {}, 'NORMAL', { 'Idempotency-Key': 'first' });
    expect(replay.status).toBe(200);
    expect(replay.body.id).toBe(first.body.id);

    // Room again once a waiting job leaves the queue.
    expect((await stack.http('DELETE', `/api/v1/jobs/${first.body.id}`)).status).toBe(200);
    expect((await submit(stack, {})).status).toBe(202);
    expect(await stack.db.job.count()).toBe(3);
  });
});

describe('Idempotency-Key', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ workers: 0 });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('accepts one of ten racing submissions with one key and replays it to the other nine', async () => {
    const replies = await Promise.all(
      Array.from({ length: 10 }, () =>
        submit(stack, { sleep_ms: 5 }, 'NORMAL', { 'Idempotency-Key': 'race-1' }),
      ),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([
      200, 200, 200, 200, 200, 200, 200, 200, 200, 202,
    ]);
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect(replies.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);
    expect(await stack.db.job.count({ where: { idempotencyKey: 'race-1' } })).toBe(1);
  });
});
