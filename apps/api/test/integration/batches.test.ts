import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createJobQueue } from '@genq/queue';
import {
  connectWebSocket,
  readZip,
  startTestStack,
  waitUntil,
  type TestStack,
} from '@genq/test-utils';

interface Accepted {
  batch_id: string;
  job_ids: string[];
  total_jobs: number;
  estimated_total_time_seconds: number;
  links: { self: string; result: string; websocket: string };
}

interface BatchBody {
  id: string;
  status: string;
  total_jobs: number;
  counts: Record<string, number>;
  progress: number;
  created_at: string;
  completed_at: string | null;
  jobs: { id: string; status: string; batch_id: string; progress: number }[];
}

interface ErrorBody {
  error: { code: string; message: string; details: { path: string; message: string }[] };
}

const noop = (input: Record<string, unknown> = {}) => ({ generator: 'noop', input });

async function submit(stack: TestStack, requests: unknown[]) {
  return stack.http<Accepted & ErrorBody>('POST', `/api/v1/jobs/batch`, {
    requests,
  });
}

async function waitForBatch(stack: TestStack, id: string, status: string): Promise<BatchBody> {
  const res = await waitUntil(
    () => stack.http<BatchBody>('GET', `/api/v1/batches/${id}`),
    (r) => r.body.status === status,
    30_000,
    100,
  );
  return res.body;
}

async function rowCounts(stack: TestStack) {
  return { batches: await stack.db.batch.count(), jobs: await stack.db.job.count() };
}

describe('batches: submit, follow, download', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ workers: 1, concurrency: 4 });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('runs a batch of 20 jobs to completion and serves one ZIP of all their files', async () => {
    const requests = Array.from({ length: 20 }, () =>
      noop({ sleep_ms: 20, steps: 2, write_file: true }),
    );
    const accepted = await submit(stack, requests);
    expect(accepted.status).toBe(202);
    const batch = accepted.body;
    expect(batch.total_jobs).toBe(20);
    expect(batch.job_ids).toHaveLength(20);
    expect(new Set(batch.job_ids).size).toBe(20);
    // 20 × noop's estimate (sleep_ms / 1000 + 0.001): work time, summed.
    expect(batch.estimated_total_time_seconds).toBeCloseTo(20 * 0.021, 3);
    expect(batch.links).toEqual({
      self: `/api/v1/batches/${batch.batch_id}`,
      result: `/api/v1/batches/${batch.batch_id}/result`,
      websocket: '/ws',
    });
    expect(accepted.headers.get('location')).toBe(batch.links.self);
    expect(await stack.db.job.count({ where: { batchId: batch.batch_id } })).toBe(20);

    const done = await waitForBatch(stack, batch.batch_id, 'completed');
    expect(done).toMatchObject({
      id: batch.batch_id,
      total_jobs: 20,
      progress: 100,
      counts: { queued: 0, running: 0, retrying: 0, completed: 20, failed: 0, cancelled: 0 },
    });
    expect(done.completed_at).toMatch(/Z$/);
    expect(done.created_at).toMatch(/Z$/);
    // Jobs come back in submission order.
    expect(done.jobs.map((j) => j.id)).toEqual(batch.job_ids);
    expect(done.jobs.every((j) => j.batch_id === batch.batch_id && j.status === 'completed')).toBe(
      true,
    );

    const download = await fetch(`${stack.url}${batch.links.result}`, {
      headers: stack.authHeaders,
    });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toMatch(/application\/zip/);
    expect(download.headers.get('content-disposition')).toMatch(
      new RegExp(`^attachment; filename="?genq-batch-${batch.batch_id}\\.zip"?$`),
    );
    const files = await readZip(Buffer.from(await download.arrayBuffer()));
    expect([...files.keys()].sort()).toEqual(
      ['manifest.json', ...batch.job_ids.map((id) => `${id}/noop.txt`)].sort(),
    );
    for (const id of batch.job_ids) {
      expect(files.get(`${id}/noop.txt`)?.toString('utf8')).toBe(`job ${id}\n`);
    }
    const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8')) as {
      batch_id: string;
      status: string;
      jobs: { id: string; status: string; folder: string | null; files: string[] }[];
    };
    expect(manifest.batch_id).toBe(batch.batch_id);
    expect(manifest.status).toBe('completed');
    expect(manifest.jobs).toEqual(
      batch.job_ids.map((id) =>
        expect.objectContaining({
          id,
          status: 'completed',
          folder: `${id}/`,
          files: ['noop.txt'],
        }),
      ),
    );
  });

  it('reports a batch with failures and lists the failed jobs in the manifest', async () => {
    const accepted = await submit(stack, [
      noop({ write_file: true }),
      noop({ fail: 'unrecoverable' }),
      {
        generator: 'test-data',
        input: { rows: 5000, format: 'csv', seed: 7, fields: [{ name: 'id', type: 'uuid' }] },
      },
    ]);
    expect(accepted.status).toBe(202);
    const [ok1, bad, ok2] = accepted.body.job_ids as [string, string, string];
    const done = await waitForBatch(stack, accepted.body.batch_id, 'completed_with_errors');
    expect(done.counts).toMatchObject({ completed: 2, failed: 1 });
    // Finished jobs count as 100, failed ones too: nothing is left to do.
    expect(done.progress).toBe(100);

    const download = await fetch(`${stack.url}${accepted.body.links.result}`, {
      headers: stack.authHeaders,
    });
    expect(download.status).toBe(200);
    const files = await readZip(Buffer.from(await download.arrayBuffer()));
    // Each job's own ZIP, unpacked under its folder, byte for byte.
    const own = await readZip(
      Buffer.from(
        await (
          await fetch(`${stack.url}/api/v1/jobs/${ok2}/result`, { headers: stack.authHeaders })
        ).arrayBuffer(),
      ),
    );
    expect(own.size).toBeGreaterThan(0);
    expect([...files.keys()].sort()).toEqual(
      ['manifest.json', `${ok1}/noop.txt`, ...[...own.keys()].map((f) => `${ok2}/${f}`)].sort(),
    );
    for (const [name, content] of own)
      expect(files.get(`${ok2}/${name}`)?.equals(content)).toBe(true);
    const csv = [...own.keys()].find((name) => name.endsWith('.csv'))!;
    expect(files.get(`${ok2}/${csv}`)!.toString('utf8').trimEnd().split(/\r?\n/)).toHaveLength(
      5001,
    );
    const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8')) as {
      status: string;
      jobs: Record<string, unknown>[];
    };
    expect(manifest.status).toBe('completed_with_errors');
    expect(manifest.jobs.find((j) => j.id === bad)).toMatchObject({
      status: 'failed',
      folder: null,
      files: [],
      error: { code: expect.any(String), message: expect.stringContaining('noop failed') },
    });
  });

  it('serves an empty ZIP for a job that wrote no files, and lists it in the batch archive', async () => {
    const accepted = await submit(stack, [noop(), noop({ write_file: true })]);
    const [empty, full] = accepted.body.job_ids as [string, string];
    await waitForBatch(stack, accepted.body.batch_id, 'completed');

    const job = await stack.http<{ result: { size_bytes: number; files: number } | null }>(
      'GET',
      `/api/v1/jobs/${empty}`,
    );
    expect(job.body.result).toMatchObject({ files: 0 });
    // Nothing on disk for it: no folder, no ZIP (the other job has both).
    expect(existsSync(path.join(stack.artifactsDir, empty))).toBe(false);
    expect(existsSync(path.join(stack.artifactsDir, full, 'result.zip'))).toBe(true);
    const download = await fetch(`${stack.url}/api/v1/jobs/${empty}/result`, {
      headers: stack.authHeaders,
    });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toMatch(/application\/zip/);
    expect(download.headers.get('content-disposition')).toMatch(
      new RegExp(`^attachment; filename="?genq-noop-${empty}\\.zip"?$`),
    );
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.length).toBe(job.body.result!.size_bytes);
    expect((await readZip(bytes)).size).toBe(0);

    const archive = await fetch(`${stack.url}${accepted.body.links.result}`, {
      headers: stack.authHeaders,
    });
    expect(archive.status).toBe(200);
    const files = await readZip(Buffer.from(await archive.arrayBuffer()));
    expect([...files.keys()].sort()).toEqual(['manifest.json', `${full}/noop.txt`].sort());
    const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8')) as {
      jobs: Record<string, unknown>[];
    };
    expect(manifest.jobs.find((j) => j.id === empty)).toMatchObject({
      status: 'completed',
      folder: `${empty}/`,
      files: [],
    });
  });

  it('replays a batch retried with its Idempotency-Key, and refuses the key for another batch', async () => {
    const key = { 'Idempotency-Key': 'nightly-2026-11-22-part-1' };
    const post = (body: unknown) =>
      fetch(`${stack.url}/api/v1/jobs/batch`, {
        method: 'POST',
        headers: { ...stack.authHeaders, ...key, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const first = await post({ requests: [noop({ sleep_ms: 1, steps: 1 }), noop()] });
    expect(first.status).toBe(202);
    const accepted = (await first.json()) as Accepted;

    // The same body (keys in another order) after a lost answer: the first batch, not a new one.
    const retry = await post({ requests: [noop({ steps: 1, sleep_ms: 1 }), noop()] });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('location')).toBe(accepted.links.self);
    expect(await retry.json()).toEqual(accepted);
    expect(await stack.db.batch.count({ where: { idempotencyKey: key['Idempotency-Key'] } })).toBe(
      1,
    );
    expect(await stack.db.job.count({ where: { batchId: accepted.batch_id } })).toBe(2);

    const reused = await post({ requests: [noop({ sleep_ms: 2 })] });
    expect(reused.status).toBe(409);
    const error = (await reused.json()) as ErrorBody;
    expect(error.error.details).toEqual([
      { path: 'headers.idempotency-key', message: `already used by batch ${accepted.batch_id}` },
    ]);
  });

  it('accepts one of five racing batches with one Idempotency-Key and replays it to the others', async () => {
    const body = JSON.stringify({ requests: [noop(), noop(), noop()] });
    const replies = await Promise.all(
      Array.from({ length: 5 }, () =>
        fetch(`${stack.url}/api/v1/jobs/batch`, {
          method: 'POST',
          headers: {
            ...stack.authHeaders,
            'Idempotency-Key': 'race-batch',
            'content-type': 'application/json',
          },
          body,
        }),
      ),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 202]);
    const bodies = (await Promise.all(replies.map((r) => r.json()))) as Accepted[];
    expect(new Set(bodies.map((b) => b.batch_id)).size).toBe(1);
    expect(new Set(bodies.map((b) => b.job_ids.join())).size).toBe(1);
    expect(await stack.db.batch.count({ where: { idempotencyKey: 'race-batch' } })).toBe(1);
    expect(await stack.db.job.count({ where: { batchId: bodies[0]!.batch_id } })).toBe(3);
  });

  it('answers 409 result_not_ready while no job of the batch has completed', async () => {
    const accepted = await submit(stack, [
      noop({ fail: 'unrecoverable' }),
      noop({ fail: 'unrecoverable' }),
    ]);
    await waitForBatch(stack, accepted.body.batch_id, 'failed');
    const res = await stack.http<ErrorBody>('GET', `${accepted.body.links.result}`);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('result_not_ready');
  });

  it('rejects the whole batch when one item is invalid, naming the item and field, and writes nothing', async () => {
    const before = await rowCounts(stack);
    const requests: unknown[] = Array.from({ length: 10 }, () => noop({ sleep_ms: 1 }));
    requests[7] = noop({ sleep_ms: 'slow' });
    const one = await submit(stack, requests);
    expect(one.status).toBe(400);
    expect(one.body.error.code).toBe('validation_failed');
    expect(one.body.error.details.map((d) => d.path)).toEqual(['requests.7.input.sleep_ms']);

    // Every bad item is reported at once, whatever is wrong with it.
    requests[2] = { ...noop(), priority: 'URGENT' };
    requests[3] = { ...noop(), extra: true };
    requests[5] = { generator: 'nope', input: {} };
    requests[6] = noop({ rows: 10 });
    const several = await submit(stack, requests);
    expect(several.status).toBe(400);
    expect(several.body.error.details.map((d) => d.path)).toEqual([
      'requests.2.priority',
      'requests.3.extra',
      'requests.5.generator',
      'requests.6.input.rows',
      'requests.7.input.sleep_ms',
    ]);
    expect(several.body.error.message).toMatch(/5 of 10/);

    expect(await rowCounts(stack)).toEqual(before);
  });

  it('rejects a batch above GENQ_MAX_BATCH_SIZE, an empty one and a malformed envelope', async () => {
    const before = await rowCounts(stack);
    const cases: [unknown, string][] = [
      [{ requests: Array.from({ length: 101 }, () => noop()) }, 'requests'],
      [{ requests: [] }, 'requests'],
      [{}, 'requests'],
      [{ requests: [noop()], extra: 1 }, 'extra'],
    ];
    for (const [body, path] of cases) {
      const res = await stack.http<ErrorBody>('POST', `/api/v1/jobs/batch`, body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details.map((d) => d.path)).toContain(path);
    }
    const atMax = await submit(
      stack,
      Array.from({ length: 100 }, () => noop()),
    );
    expect(atMax.status).toBe(202);
    expect((await rowCounts(stack)).jobs).toBe(before.jobs + 100);
  });

  it('answers 404 for an unknown batch, its result, or an id that is not a UUID', async () => {
    const missing = '01900000-0000-7000-8000-000000000000';
    for (const path of [`/api/v1/batches/${missing}`, `/api/v1/batches/${missing}/result`]) {
      const res = await stack.http<ErrorBody>('GET', `${path}`);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    const notUuid = await stack.http<ErrorBody>('GET', `/api/v1/batches/nope`);
    expect(notUuid.status).toBe(404);
    expect(notUuid.body.error.code).toBe('not_found');
  });

  it('streams a batch over WebSocket: one snapshot, then every event of its jobs in order', async () => {
    const accepted = await submit(
      stack,
      Array.from({ length: 6 }, () => noop({ sleep_ms: 400, steps: 4 })),
    );
    const { batch_id: batchId, job_ids: jobIds } = accepted.body;
    const ws = await connectWebSocket(`${stack.wsUrl}/ws`, stack.authHeaders);
    // Also following one of its jobs directly: that socket must not get its events twice.
    ws.send({ action: 'subscribe', job_id: jobIds[0] });
    ws.send({ action: 'subscribe', batch_id: batchId });

    const latest = new Map<string, Record<string, unknown>>();
    const allDone = (): boolean => jobIds.every((id) => latest.get(id)?.status === 'completed');
    await ws.waitFor((message) => {
      if (message.type === 'batch_snapshot') {
        for (const job of message.jobs as Record<string, unknown>[]) {
          latest.set(job.job_id as string, job);
        }
      } else if (message.batch_id === batchId && message.type !== 'snapshot') {
        latest.set(message.job_id as string, message);
      }
      return allDone();
    }, 30_000);
    await ws.close();

    const fromBatch = ws.messages.filter((m) => m.type !== 'snapshot' || m.job_id !== jobIds[0]);
    const snapshotIndex = fromBatch.findIndex((m) => m.type === 'batch_snapshot');
    expect(snapshotIndex).toBeGreaterThanOrEqual(0);
    const snapshot = fromBatch[snapshotIndex]!;
    expect(snapshot).toMatchObject({ batch_id: batchId, total_jobs: 6 });
    expect((snapshot.jobs as { job_id: string }[]).map((j) => j.job_id)).toEqual(jobIds);

    // Per job: snapshot seq, then strictly growing seqs, no duplicates, ending completed.
    const events = fromBatch.slice(snapshotIndex + 1);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.batch_id === batchId && jobIds.includes(e.job_id as string))).toBe(
      true,
    );
    for (const id of jobIds) {
      const start = (snapshot.jobs as { job_id: string; seq: number }[]).find(
        (j) => j.job_id === id,
      )!.seq;
      const seqs = events.filter((e) => e.job_id === id).map((e) => e.seq as number);
      let previous = start;
      for (const seq of seqs) {
        expect(seq).toBeGreaterThan(previous);
        previous = seq;
      }
    }
    expect(events.some((e) => e.current_step === 'generating')).toBe(true);
  });

  it('stops sending a batch after unsubscribe, and reports an unknown batch', async () => {
    const ws = await connectWebSocket(`${stack.wsUrl}/ws`, stack.authHeaders);
    const missing = '01900000-0000-7000-8000-000000000000';
    ws.send({ action: 'subscribe', batch_id: missing });
    const error = await ws.waitFor((m) => m.type === 'error');
    expect(error).toMatchObject({ batch_id: missing, error: { code: 'not_found' } });

    const accepted = await submit(stack, [noop({ sleep_ms: 600, steps: 6 })]);
    const batchId = accepted.body.batch_id;
    ws.send({ action: 'subscribe', batch_id: batchId });
    await ws.waitFor((m) => m.type === 'batch_snapshot');
    ws.send({ action: 'unsubscribe', batch_id: batchId });
    // Wait until the unsubscribe has been processed (messages are handled in order).
    ws.send({ action: 'subscribe', batch_id: missing });
    await ws.waitFor((m) => m.type === 'error' && m !== error);
    const seen = ws.messages.length;
    await waitForBatch(stack, batchId, 'completed');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await ws.close();
    expect(ws.messages.slice(seen).filter((m) => m.batch_id === batchId)).toEqual([]);
  });
});

describe('batches: nothing is written unless the whole batch is queued', () => {
  let stack: TestStack;
  beforeAll(async () => {
    // No workers: whatever reaches Redis stays there for the assertions to see. Strict mode:
    // the failure is injected into BullMQ's add script (fair mode adds with its own script).
    stack = await startTestStack({ workers: 0, queueMaxPending: 10, scheduling: 'strict' });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('leaves no row and no queued job when one generator queue refuses the jobs', async () => {
    const queue = createJobQueue({
      connection: stack.redis,
      prefix: stack.prefix,
      generators: ['noop', 'test-data'],
    });
    // A real Redis error: the test-data queue's meta key has the wrong type, so BullMQ's add
    // script fails with WRONGTYPE for that queue, after the noop queue accepted its jobs.
    const meta = `${stack.prefix}:generation.test-data:meta`;
    await stack.redis.set(meta, 'not a hash');
    try {
      const testData = {
        generator: 'test-data',
        input: { rows: 10, format: 'csv', fields: [{ name: 'id', type: 'uuid' }] },
      };
      const res = await submit(stack, [noop(), noop(), noop(), testData, testData]);
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('service_unavailable');
      expect(res.headers.get('retry-after')).toBe('5');

      expect(await rowCounts(stack)).toEqual({ batches: 0, jobs: 0 });
      for (const generator of ['noop', 'test-data']) {
        const counts = await queue
          .queueFor(generator)
          .getJobCounts('wait', 'prioritized', 'delayed', 'active');
        expect(Object.values(counts).every((n) => n === 0)).toBe(true);
      }
      // The noop jobs did reach Redis before the failure, and were taken out again.
      const events = await stack.redis.xrange(`${stack.prefix}:generation.noop:events`, '-', '+');
      const kinds = events.map(([, fields]) => fields[fields.indexOf('event') + 1]);
      expect(kinds.filter((k) => k === 'removed')).toHaveLength(3);
    } finally {
      await stack.redis.del(meta);
      await queue.close();
    }
  });

  it('answers 503 at once, writing nothing, while Redis is unreachable', async () => {
    stack.redis.disconnect();
    try {
      const res = await submit(stack, [noop(), noop()]);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBeTruthy();
      expect(await rowCounts(stack)).toEqual({ batches: 0, jobs: 0 });
    } finally {
      await stack.redis.connect();
    }
    const res = await submit(stack, [noop(), noop()]);
    expect(res.status).toBe(202);
    expect(await rowCounts(stack)).toEqual({ batches: 1, jobs: 2 });
  });

  it('admits a batch only if all of it fits under GENQ_QUEUE_MAX_PENDING', async () => {
    const waiting = (await rowCounts(stack)).jobs; // nothing runs here: every job waits
    const room = 10 - waiting;
    expect(room).toBeGreaterThan(1);
    const before = await rowCounts(stack);
    const tooMany = await submit(
      stack,
      Array.from({ length: room + 1 }, () => noop()),
    );
    expect(tooMany.status).toBe(503);
    expect(tooMany.body.error.code).toBe('queue_full');
    expect(Number(tooMany.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await rowCounts(stack)).toEqual(before);

    const fits = await submit(
      stack,
      Array.from({ length: room }, () => noop()),
    );
    expect(fits.status).toBe(202);
    expect((await submit(stack, [noop()])).status).toBe(503);
  });
});
