import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { hostname } from 'node:os';
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

/** The whole fleet's stats, as the admin key reads them (workers included). */
const readStats = async (stack: TestStack): Promise<Stats> => {
  const res = await requestJson<Stats>('GET', `${stack.url}/api/v1/queue/stats`, undefined, {
    authorization: `Bearer ${stack.adminKey}`,
  });
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

describe('queue stats per tenant', () => {
  const METRICS_TOKEN = 'metrics-token-for-the-test';
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ workers: 1, concurrency: 2, metricsToken: METRICS_TOKEN });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("shows a client key its own counts and the fleet's figures, never another tenant's data or a worker's identity", async () => {
    const other = await stack.createClient('standard', 'other-tenant');
    const as = (client: typeof other, input: Record<string, unknown>) =>
      stack.http<{ id: string }>('POST', '/api/v1/jobs', { generator: 'noop', input }, client);
    // Ours: two completed, one failed. Theirs: three completed, one running for a minute.
    const mine = [
      await as(stack.client, {}),
      await as(stack.client, {}),
      await as(stack.client, { fail: 'unrecoverable' }),
    ];
    const theirs = [await as(other, {}), await as(other, {}), await as(other, {})];
    const slow = await as(other, { sleep_ms: 60_000, steps: 600 });
    for (const res of [...mine, ...theirs, slow]) expect(res.status).toBe(202);
    await waitUntil(
      () => readStats(stack),
      (s) => s.completed === 5 && s.failed === 1 && s.processing === 1 && s.live_workers === 1,
    );

    const res = await stack.http<Record<string, unknown>>('GET', '/api/v1/queue/stats');
    expect(res.status).toBe(200);
    const view = res.body;
    expect(view).toMatchObject({
      scope: 'client',
      own: { pending: 0, processing: 0, completed: 2, failed: 1, cancelled: 0 },
      // The fleet-wide figures positions and ETAs need: the other tenant's running job counts.
      pending: 0,
      processing: 1,
      live_workers: 1,
      job_slots: 2,
    });
    expect(view.queues).toMatchObject({ noop: { processing: 1, live_capacity: 2 } });
    // No worker identity and no other tenant's counts, in any field.
    for (const key of ['workers', 'completed', 'failed', 'cancelled']) {
      expect(view).not.toHaveProperty(key);
    }
    expect(view.queues).not.toHaveProperty('noop.completed');
    expect(view.scheduling).not.toHaveProperty('clients');
    expect(view.scheduling).not.toHaveProperty('clients_waiting');
    const text = JSON.stringify(view);
    const fleet = await readStats(stack);
    const worker = (fleet as unknown as { workers: { id: string; host: string; pid: number }[] })
      .workers[0]!;
    for (const secret of [worker.id, worker.host, hostname(), other.clientId]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/"(pid|host|id|client_id)"/);

    // The other tenant sees its own counts, not ours.
    const theirView = await stack.http('GET', '/api/v1/queue/stats', undefined, other);
    expect(theirView.body).toMatchObject({
      scope: 'client',
      own: { pending: 0, processing: 1, completed: 3, failed: 0, cancelled: 0 },
    });
    expect(JSON.stringify(theirView.body)).not.toContain(stack.client.clientId);

    // The admin key sees the fleet: workers with host, pid and id, every tenant's totals.
    expect(fleet).toMatchObject({ scope: 'fleet', completed: 5, failed: 1, processing: 1 });
    expect(worker).toMatchObject({ host: hostname(), pid: process.pid });
    expect(worker.id).toEqual(expect.any(String));
    const scheduling = (fleet as unknown as { scheduling: { clients?: { client_id: string }[] } })
      .scheduling;
    expect(scheduling.clients?.map((c) => c.client_id)).toContain(other.clientId);

    // So does the metrics token; a wrong one is an unknown key.
    const byToken = await requestJson<Record<string, unknown>>(
      'GET',
      `${stack.url}/api/v1/queue/stats`,
      undefined,
      { authorization: `Bearer ${METRICS_TOKEN}` },
    );
    expect(byToken.status).toBe(200);
    expect(byToken.body).toMatchObject({ scope: 'fleet', workers: [{ host: hostname() }] });
    const wrong = await requestJson('GET', `${stack.url}/api/v1/queue/stats`, undefined, {
      authorization: `Bearer ${METRICS_TOKEN}-not`,
    });
    expect(wrong.status).toBe(401);
    expect((await requestJson('GET', `${stack.url}/api/v1/queue/stats`)).status).toBe(401);

    expect(
      (await stack.http('DELETE', `/api/v1/jobs/${slow.body.id}`, undefined, other)).status,
    ).toBe(202);
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
