import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  connectWebSocket,
  requestJson,
  startProcessStack,
  waitUntil,
  type ProcessStack,
  type TestClient,
} from '@genq/test-utils';

// Two API processes and two worker processes on one Redis and one PostgreSQL, as ops
// scale genq in production.
describe('scale-out: 2 API processes × 2 worker processes', () => {
  let stack: ProcessStack;
  let client: TestClient;
  let A: string;
  let B: string;

  beforeAll(async () => {
    stack = await startProcessStack({
      apis: 2,
      workers: 2,
      env: {
        GENQ_WORKER_CONCURRENCY: '4',
        GENQ_RATE_LIMIT_FREE: '20',
        GENQ_RATE_LIMIT_WINDOW_MS: '60000',
        GENQ_SHUTDOWN_TIMEOUT_MS: '60000',
      },
    });
    client = await stack.createClient('premium');
    [A, B] = stack.urls as [string, string];
  }, 90_000);
  afterAll(async () => {
    await stack?.close();
  });

  const submit = async (api: string, input: Record<string, unknown>, as = client) => {
    const res = await requestJson(
      'POST',
      `${api}/api/v1/jobs`,
      { generator: 'noop', input },
      as.headers,
    );
    expect(res.status).toBe(202);
    return (res.body as { id: string }).id;
  };

  it('relays every event of a job submitted through API B to a WebSocket on API A', async () => {
    const ws = await connectWebSocket(`${stack.wsUrls[0]}/ws`, client.headers);
    const id = await submit(B, { sleep_ms: 600, steps: 6 });
    ws.send({ action: 'subscribe', job_id: id });
    await ws.waitFor((m) => m.job_id === id && m.status === 'completed');
    await ws.close();
    const events = ws.messages.filter((m) => m.job_id === id);
    expect(events[0]?.type).toBe('snapshot');
    const seqs = events.map((e) => e.seq as number);
    // Nothing missed after the snapshot: sequence numbers are consecutive.
    for (let i = 2; i < seqs.length; i += 1) expect(seqs[i]).toBe(seqs[i - 1]! + 1);
    expect(events.filter((e) => e.type === 'progress').length).toBeGreaterThanOrEqual(3);
  });

  it('cancels through API A a job running on whichever worker took it', async () => {
    // Eight long jobs fill both workers' four slots, so each process runs some.
    const ids = await Promise.all(
      Array.from({ length: 8 }, () => submit(B, { sleep_ms: 60_000, steps: 60 })),
    );
    const running = await waitUntil(
      () => Promise.all(ids.map((id) => stack.jobs.findById(id))),
      (rows) => rows.every((row) => row?.status === 'running'),
    );
    expect(new Set(running.map((row) => row?.workerId)).size).toBe(2);
    for (const id of ids) {
      const res = await requestJson('DELETE', `${A}/api/v1/jobs/${id}`, undefined, client.headers);
      expect(res.status).toBe(202);
    }
    for (const id of ids) {
      await waitUntil(
        () => stack.jobs.findById(id),
        (row) => row?.status === 'cancelled',
        10_000,
      );
    }
  });

  it('shares one rate limit across both API processes', async () => {
    const free = await stack.createClient('free');
    const statuses: number[] = [];
    for (let i = 0; i < 30; i += 1) {
      const api = i % 2 === 0 ? A : B;
      statuses.push(
        (await requestJson('GET', `${api}/api/v1/jobs?limit=1`, undefined, free.headers)).status,
      );
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(statuses.slice(20).every((s) => s === 429)).toBe(true);
    const limited = await requestJson('GET', `${B}/api/v1/jobs`, undefined, free.headers);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('ratelimit-policy')).toBeTruthy();
    expect(limited.body).toMatchObject({ error: { code: 'rate_limited' } });
  });

  it('loses nothing and runs nothing twice when worker 1 is stopped with SIGTERM mid-load', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 120; i += 1) ids.push(await submit(i % 2 ? A : B, { sleep_ms: 100 }));
    await waitUntil(
      () => stack.db.job.count({ where: { id: { in: ids }, status: 'completed' } }),
      (done) => done >= 10,
    );
    const first = stack.workers[0]!;
    expect(await first.stop('SIGTERM')).toBe(0);
    await waitUntil(
      () => stack.db.job.count({ where: { id: { in: ids }, status: 'completed' } }),
      (done) => done === ids.length,
      90_000,
      250,
    );
    const rows = await stack.db.job.findMany({ where: { id: { in: ids } } });
    expect(rows.every((row) => row.attempts === 1)).toBe(true);
    expect(await stack.db.job.count({ where: { status: 'running' } })).toBe(0);
  }, 120_000);
});
