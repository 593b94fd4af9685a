import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { v7 as uuidv7 } from 'uuid';
import { PRIORITIES } from '@genq/core';
import { createJobQueue, queueNameFor } from '@genq/queue';
import { connectWebSocket, startTestStack, waitUntil, type TestStack } from '@genq/test-utils';

interface View {
  id: string;
  status: string;
  priority: string;
  position: number | null;
  eta_seconds: number | null;
}

const getJob = async (stack: TestStack, id: string): Promise<View> =>
  (await stack.http<View>('GET', `/api/v1/jobs/${id}`)).body;

async function submit(stack: TestStack, input: Record<string, unknown>, priority: string) {
  const res = await stack.http<View>('POST', `/api/v1/jobs`, {
    generator: 'noop',
    input,
    priority,
  });
  expect(res.status).toBe(202);
  return res.body;
}

/** BullMQ's priority of a waiting job, read from its score band in the prioritized set. */
async function bullPriority(stack: TestStack, id: string): Promise<number | null> {
  const score = await stack.redis.zscore(`${stack.prefix}:${queueNameFor('noop')}:prioritized`, id);
  return score === null ? null : Math.floor(Number(score) / 2 ** 32);
}

describe('position and ETA', () => {
  const LOW_JOBS = 10_000;
  let stack: TestStack;
  let low: string[];
  beforeAll(async () => {
    // BullMQ's own priorities: this file checks strict mode (fair-scheduling.test.ts the other).
    stack = await startTestStack({ workers: 0, concurrency: 1, scheduling: 'strict' });
    // 10,000 LOW jobs written the way the API writes them (row, then BullMQ), in bulk.
    low = Array.from({ length: LOW_JOBS }, () => uuidv7());
    await stack.db.$executeRaw`
      INSERT INTO jobs (id, client_id, generator, input, priority, max_attempts)
      SELECT id, ${stack.client.clientId}::uuid, 'noop', '{"sleep_ms": 20}'::jsonb, ${PRIORITIES.LOW}, 4
      FROM unnest(${low}::uuid[]) AS id`;
    const queue = createJobQueue({
      connection: stack.redis,
      prefix: stack.prefix,
      generators: ['noop'],
    });
    await queue.enqueue(low.map((id) => ({ id, generator: 'noop', priority: PRIORITIES.LOW })));
    await queue.close();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('puts a HIGH job behind 10,000 LOW jobs at position 0 and starts it next', async () => {
    const high = await submit(stack, {}, 'HIGH');
    expect(high.position).toBe(0);
    const view = await getJob(stack, high.id);
    expect(view).toMatchObject({ status: 'queued', position: 0 });
    // No live worker serves the queue yet: no honest ETA.
    expect(view.eta_seconds).toBeNull();

    const lows = await Promise.all([0, 1, 5_000, LOW_JOBS - 1].map((i) => getJob(stack, low[i]!)));
    expect(lows.map((v) => v.position)).toEqual([1, 2, 5_001, LOW_JOBS]);

    // WebSocket snapshots carry the same position.
    const ws = await connectWebSocket(`${stack.wsUrl}/ws/${low[3]}`, stack.authHeaders);
    const snapshot = await ws.waitFor((m) => m.type === 'snapshot');
    await ws.close();
    expect(snapshot).toMatchObject({ status: 'queued', position: 4, eta_seconds: null });

    const started = Date.now();
    const stats = await stack.http<{
      pending: number;
      pending_by_priority: Record<string, number>;
    }>('GET', `/api/v1/queue/stats`);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(stats.body.pending).toBe(LOW_JOBS + 1);
    expect(stats.body.pending_by_priority).toEqual({ HIGH: 1, NORMAL: 0, LOW: LOW_JOBS });

    await stack.startWorker();
    const done = await waitUntil(
      () => stack.jobs.findById(high.id),
      (job) => job?.status === 'completed',
    );
    const firstLow = await stack.db.job.findFirst({
      where: { priority: PRIORITIES.LOW, startedAt: { not: null } },
      orderBy: { startedAt: 'asc' },
    });
    if (firstLow) expect(firstLow.startedAt!.getTime()).toBeGreaterThan(done!.startedAt!.getTime());
    expect((await getJob(stack, high.id)).position).toBeNull();
  });

  it('gives waiting LOW jobs increasing positions and, once throughput is known, ETAs', async () => {
    await waitUntil(
      () => stack.db.job.count({ where: { priority: PRIORITIES.LOW, status: 'completed' } }),
      (count) => count >= 5,
    );
    // The API reads live workers at most once a second, so the ETA shows up within that.
    await waitUntil(
      () => getJob(stack, low[7_000]!),
      (view) => view.eta_seconds !== null,
    );
    const views = await Promise.all([7_000, 8_000, 9_000].map((i) => getJob(stack, low[i]!)));
    const positions = views.map((v) => v.position!);
    const etas = views.map((v) => v.eta_seconds!);
    expect(positions.every((p) => typeof p === 'number')).toBe(true);
    expect(positions[0]).toBeLessThan(positions[1]!);
    expect(positions[1]).toBeLessThan(positions[2]!);
    expect(etas.every((eta) => typeof eta === 'number' && eta > 0)).toBe(true);
    expect(etas[0]).toBeLessThan(etas[1]!);
    expect(etas[1]).toBeLessThan(etas[2]!);
    // About 7,000 jobs of ~20 ms on one slot: minutes, not hours or milliseconds.
    expect(etas[0]).toBeGreaterThan(60);
    expect(etas[0]).toBeLessThan(7_000);
  });
});

describe('priority aging', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({
      workers: 1,
      concurrency: 1,
      scheduling: 'strict',
      priorityAgingSeconds: 1,
      priorityAgingIntervalMs: 100,
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('moves a waiting LOW job up one level per threshold, in its row and in BullMQ', async () => {
    // Holds the only slot so the aged job keeps waiting.
    const blocker = await submit(stack, { sleep_ms: 60_000, steps: 600 }, 'NORMAL');
    await waitUntil(
      () => stack.jobs.findById(blocker.id),
      (job) => job?.status === 'running',
    );
    const aging = await submit(stack, {}, 'LOW');
    expect((await stack.jobs.findById(aging.id))?.priority).toBe(PRIORITIES.LOW);
    expect(await bullPriority(stack, aging.id)).toBe(PRIORITIES.LOW);

    const normal = await waitUntil(
      () => stack.jobs.findById(aging.id),
      (job) => job?.priority === PRIORITIES.NORMAL,
      10_000,
      20,
    );
    const movedAt = Date.now();
    expect(normal!.status).toBe('queued');
    expect(movedAt - normal!.createdAt.getTime()).toBeGreaterThanOrEqual(1_000);
    expect(await bullPriority(stack, aging.id)).toBe(PRIORITIES.NORMAL);
    expect((await getJob(stack, aging.id)).priority).toBe('NORMAL');

    // A LOW job submitted now waits behind it.
    const fresh = await submit(stack, {}, 'LOW');
    expect((await getJob(stack, aging.id)).position).toBe(0);
    expect((await getJob(stack, fresh.id)).position).toBe(1);

    // The next level takes another full threshold.
    await waitUntil(
      () => stack.jobs.findById(aging.id),
      (job) => job?.priority === PRIORITIES.HIGH,
      10_000,
      20,
    );
    expect(Date.now() - movedAt).toBeGreaterThanOrEqual(800);
    expect(await bullPriority(stack, aging.id)).toBe(PRIORITIES.HIGH);

    // One process at a time: two rounds asked for at once, at most one runs.
    const rounds = await Promise.all([
      stack.workers[0]!.aging!.runOnce(),
      stack.workers[0]!.aging!.runOnce(),
    ]);
    expect(rounds.filter((moved) => moved !== null).length).toBeLessThanOrEqual(1);

    expect((await stack.http('DELETE', `/api/v1/jobs/${blocker.id}`)).status).toBe(202);
    await waitUntil(
      () => stack.jobs.findById(aging.id),
      (job) => job?.status === 'completed',
    );
  });
});
