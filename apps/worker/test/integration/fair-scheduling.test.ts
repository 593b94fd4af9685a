import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { v7 as uuidv7 } from 'uuid';
import { PRIORITIES } from '@genq/core';
import { createSchedulingRepository } from '@genq/db';
import {
  createFairScheduler,
  createJobQueue,
  DEFAULT_SCHEDULING,
  redisKeys,
  type FairScheduler,
  type PerTier,
  type SchedulingSettings,
} from '@genq/queue';
import {
  requestJson,
  startTestStack,
  waitUntil,
  type TestClient,
  type TestStack,
} from '@genq/test-utils';

const TIER_PRIORITY = {
  premium: PRIORITIES.HIGH,
  standard: PRIORITIES.NORMAL,
  free: PRIORITIES.LOW,
} as const;

/** A scheduler of the stack's Redis and database, as the API builds it (without its kicks). */
function schedulerOf(stack: TestStack, concurrency: Partial<PerTier> = {}): FairScheduler {
  const settings: SchedulingSettings = {
    ...DEFAULT_SCHEDULING,
    concurrency: { ...DEFAULT_SCHEDULING.concurrency, ...concurrency },
  };
  const repository = createSchedulingRepository(stack.db);
  return createFairScheduler({
    redis: stack.redis,
    prefix: stack.prefix,
    keys: redisKeys(stack.prefix),
    bull: createJobQueue({ connection: stack.redis, prefix: stack.prefix, generators: ['noop'] }),
    settings,
    clientLimits: (ids) => repository.clientLimits(ids),
  });
}

/** `count` noop jobs of `client`, written as the API writes them (row, then queue), in bulk. */
async function submitBulk(
  stack: TestStack,
  scheduler: FairScheduler,
  client: TestClient,
  tier: keyof typeof TIER_PRIORITY,
  count: number,
  input = '{}',
): Promise<string[]> {
  const ids = Array.from({ length: count }, () => uuidv7());
  await stack.db.$executeRaw`
    INSERT INTO jobs (id, client_id, generator, input, priority, max_attempts)
    SELECT id, ${client.clientId}::uuid, 'noop', ${input}::jsonb, ${TIER_PRIORITY[tier]}, 4
    FROM unnest(${ids}::uuid[]) AS id`;
  for (let i = 0; i < ids.length; i += 1000) {
    await scheduler.enqueue(
      ids.slice(i, i + 1000).map((id) => ({
        id,
        generator: 'noop',
        priority: TIER_PRIORITY[tier],
        clientId: client.clientId,
      })),
    );
  }
  return ids;
}

/** Most intervals [started_at, completed_at) open at once. */
function maxOverlap(rows: { startedAt: Date | null; completedAt: Date | null }[]): number {
  const events: [number, number][] = [];
  for (const row of rows) {
    if (!row.startedAt || !row.completedAt) continue;
    events.push([row.startedAt.getTime(), 1], [row.completedAt.getTime(), -1]);
  }
  // An end and a start at the same millisecond: the end first.
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let most = 0;
  for (const [, delta] of events) {
    open += delta;
    most = Math.max(most, open);
  }
  return most;
}

describe('fair order within a tier', () => {
  let stack: TestStack;
  let scheduler: FairScheduler;
  beforeAll(async () => {
    // Caps high enough that round robin, not the cap, decides.
    stack = await startTestStack({ workers: 2, concurrency: 4, tierConcurrency: { free: 100 } });
    scheduler = schedulerOf(stack, { free: 100 });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("starts every one of B's 10 jobs before A's 100th job after B's submission", async () => {
    const a = await stack.createClient('free');
    const b = await stack.createClient('free');
    const aIds = await submitBulk(stack, scheduler, a, 'free', 5_000, '{"sleep_ms": 5}');
    // A's backlog is flowing when B arrives.
    await waitUntil(
      () => stack.db.job.count({ where: { clientId: a.clientId, startedAt: { not: null } } }),
      (started) => started >= 50,
    );
    const submittedAt = new Date();
    const batch = await stack.http<{ job_ids: string[] }>(
      'POST',
      '/api/v1/jobs/batch',
      { requests: Array.from({ length: 10 }, () => ({ generator: 'noop', input: {} })) },
      b,
    );
    expect(batch.status).toBe(202);
    // While it waits, B's last job sees few jobs ahead of it, however long A's backlog.
    const last = await stack.http<{ position: number | null; status: string }>(
      'GET',
      `/api/v1/jobs/${batch.body.job_ids[9]}`,
      undefined,
      b,
    );
    if (last.body.status === 'queued' && last.body.position !== null) {
      expect(last.body.position).toBeLessThan(40);
    }
    const bRows = await waitUntil(
      () => stack.db.job.findMany({ where: { clientId: b.clientId } }),
      (rows) => rows.length === 10 && rows.every((row) => row.status === 'completed'),
    );
    const lastStart = Math.max(...bRows.map((row) => row.startedAt!.getTime()));
    const aBetween = await stack.db.job.count({
      where: {
        id: { in: aIds },
        startedAt: { gt: submittedAt, lte: new Date(lastStart) },
      },
    });
    expect(aBetween).toBeLessThan(100);
    // A was not stopped either: it kept running alongside B.
    expect(aBetween).toBeGreaterThan(0);
  });
});

describe('weighted shares across tiers', () => {
  let stack: TestStack;
  let scheduler: FairScheduler;
  beforeAll(async () => {
    // Workers start once every backlog is in place; caps out of the way.
    stack = await startTestStack({
      workers: 0,
      concurrency: 4,
      tierConcurrency: { premium: 100, standard: 100, free: 100 },
    });
    scheduler = schedulerOf(stack, { premium: 100, standard: 100, free: 100 });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('shares the first 1,000 completions 6:3:1 between premium, standard and free', async () => {
    const clients = {
      premium: await stack.createClient('premium'),
      standard: await stack.createClient('standard'),
      free: await stack.createClient('free'),
    };
    for (const tier of ['free', 'standard', 'premium'] as const) {
      await submitBulk(stack, scheduler, clients[tier], tier, 2_000);
    }
    const stats = await requestJson<{
      pending: number;
      scheduling: { mode: string; tiers: Record<string, { waiting: number }> };
    }>('GET', `${stack.url}/api/v1/queue/stats`, undefined, {
      authorization: `Bearer ${stack.adminKey}`,
    });
    expect(stats.body.pending).toBe(6_000);
    expect(stats.body.scheduling.mode).toBe('fair');
    expect(stats.body.scheduling.tiers.free!.waiting).toBe(2_000);

    await stack.startWorker();
    await stack.startWorker();
    await waitUntil(
      () => stack.db.job.count({ where: { status: 'completed' } }),
      (done) => done >= 1_000,
      // About 30 s on an idle 2-core machine; far more when other suites share it.
      170_000,
      200,
    );
    const first = await stack.db.job.findMany({
      where: { status: 'completed' },
      orderBy: { completedAt: 'asc' },
      take: 1_000,
      select: { clientId: true },
    });
    const share = (tier: keyof typeof clients): number =>
      first.filter((row) => row.clientId === clients[tier].clientId).length;
    expect(share('premium')).toBeGreaterThanOrEqual(540);
    expect(share('premium')).toBeLessThanOrEqual(660);
    expect(share('standard')).toBeGreaterThanOrEqual(270);
    expect(share('standard')).toBeLessThanOrEqual(330);
    expect(share('free')).toBeGreaterThanOrEqual(90);
    expect(share('free')).toBeLessThanOrEqual(110);
  }, 200_000);
});

describe('per-client concurrency caps', () => {
  let stack: TestStack;
  let scheduler: FairScheduler;
  beforeAll(async () => {
    stack = await startTestStack({ workers: 2, concurrency: 4 });
    scheduler = schedulerOf(stack);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('never runs more than 2 jobs of a free client at once across both workers', async () => {
    const free = await stack.createClient('free');
    const other = await stack.createClient('premium');
    const freeIds = await submitBulk(stack, scheduler, free, 'free', 60, '{"sleep_ms": 30}');
    const otherIds = await submitBulk(stack, scheduler, other, 'premium', 300, '{"sleep_ms": 30}');
    const rows = await waitUntil(
      () => stack.db.job.findMany({ where: { id: { in: [...freeIds, ...otherIds] } } }),
      (all) => all.every((row) => row.status === 'completed'),
      80_000,
      250,
    );
    const ofFree = rows.filter((row) => row.clientId === free.clientId);
    expect(maxOverlap(ofFree)).toBeLessThanOrEqual(2);
    expect(maxOverlap(ofFree)).toBe(2);
    // Meanwhile the other slots kept working on the other client's jobs.
    const lastFree = Math.max(...ofFree.map((row) => row.completedAt!.getTime()));
    const firstFree = Math.min(...ofFree.map((row) => row.startedAt!.getTime()));
    const otherDuring = rows.filter(
      (row) =>
        row.clientId === other.clientId &&
        row.startedAt!.getTime() >= firstFree &&
        row.startedAt!.getTime() <= lastFree,
    );
    expect(otherDuring.length).toBeGreaterThan(50);
    expect(maxOverlap(rows)).toBeGreaterThanOrEqual(6);
    // Every slot was given back.
    const busy = await requestJson<{ scheduling: { clients: { running: number }[] } }>(
      'GET',
      `${stack.url}/api/v1/queue/stats`,
      undefined,
      {
        authorization: `Bearer ${stack.adminKey}`,
      },
    );
    expect(busy.body.scheduling.clients.every((c) => c.running === 0)).toBe(true);
  }, 120_000);
});

describe('lifecycle under fair scheduling: positions, cancellation, aging, repair', () => {
  let stack: TestStack;
  let scheduler: FairScheduler;
  beforeAll(async () => {
    stack = await startTestStack({ workers: 0 });
    scheduler = schedulerOf(stack);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('reports positions by the rotation, removes a cancelled job and lifts an aged one', async () => {
    const a = await stack.createClient('free');
    const b = await stack.createClient('free');
    const aIds = await submitBulk(stack, scheduler, a, 'free', 1_000);
    const bIds = await submitBulk(stack, scheduler, b, 'free', 3);
    const position = async (id: string, as: TestClient): Promise<number | null> =>
      (await stack.http<{ position: number | null }>('GET', `/api/v1/jobs/${id}`, undefined, as))
        .body.position;
    // A's and B's jobs alternate: B's jobs are near the front, A's 500th after ~500 + 3.
    expect(await position(bIds[0]!, b)).toBeLessThanOrEqual(1);
    expect(await position(bIds[2]!, b)).toBeLessThanOrEqual(5);
    expect(await position(aIds[0]!, a)).toBeLessThanOrEqual(1);
    expect(await position(aIds[499]!, a)).toBeGreaterThanOrEqual(499);
    expect(await position(aIds[499]!, a)).toBeLessThanOrEqual(503);

    // Cancelled while waiting: out of the scheduler's queues at once.
    expect((await stack.http('DELETE', `/api/v1/jobs/${bIds[1]}`, undefined, b)).status).toBe(200);
    expect(await scheduler.holds([{ id: bIds[1]!, generator: 'noop' }])).toEqual([false]);
    expect(await position(bIds[2]!, b)).toBeLessThanOrEqual(3);

    // Aging lifts a job to the next lane: NORMAL goes before every LOW job.
    expect(await scheduler.changeLane('noop', aIds[999]!, PRIORITIES.NORMAL)).toBe(true);
    expect(await position(aIds[999]!, a)).toBe(0);

    const stats = await requestJson<{
      pending: number;
      pending_by_priority: Record<string, number>;
      scheduling: { clients: { client_id: string; waiting: number }[] };
    }>('GET', `${stack.url}/api/v1/queue/stats`, undefined, {
      authorization: `Bearer ${stack.adminKey}`,
    });
    expect(stats.body.pending).toBe(1_002);
    expect(stats.body.pending_by_priority).toEqual({ HIGH: 0, NORMAL: 1, LOW: 1_001 });
    expect(stats.body.scheduling.clients[0]).toMatchObject({
      client_id: a.clientId,
      waiting: 1_000,
    });

    // A slot whose job vanished (its worker died, BullMQ failed it) is repaired away.
    await stack.redis.hset(`${stack.prefix}:fair:run:${a.clientId}`, uuidv7(), 'noop\t3');
    await stack.redis.zadd(`${stack.prefix}:fair:running`, 1, a.clientId);
    expect(await scheduler.repair([])).toEqual({ released: 1, added: 0 });

    // The jobs run once a worker comes, the aged one first.
    await stack.startWorker();
    const aged = await waitUntil(
      () => stack.jobs.findById(aIds[999]!),
      (job) => job?.status === 'completed',
    );
    // Handed to the worker first (its two slots may claim two jobs in the same instant).
    const before = await stack.db.job.count({ where: { startedAt: { lt: aged!.startedAt! } } });
    expect(before).toBeLessThanOrEqual(1);
  });
});
