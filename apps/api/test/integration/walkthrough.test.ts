import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  connectWebSocket,
  readZip,
  startTestStack,
  waitUntil,
  type TestStack,
} from '@genq/test-utils';

const STAGE_ORDER = [
  'queued',
  'loading_model',
  'encoding_prompt',
  'generating',
  'saving',
  'completed',
];

const testDataJob = (rows: number) => ({
  generator: 'test-data',
  input: {
    rows,
    format: 'csv',
    seed: 42,
    fields: [
      { name: 'id', type: 'uuid' },
      { name: 'name', type: 'name' },
      { name: 'email', type: 'email' },
      { name: 'age', type: 'integer', min: 18, max: 90 },
      { name: 'active', type: 'boolean' },
    ],
  },
});

describe('one job from HTTP to WebSocket to ZIP', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ workers: 1, concurrency: 2 });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('accepts a 10,000-row test-data job, streams its progress in order and serves its ZIP', async () => {
    const accepted = await stack.http('POST', `/api/v1/jobs`, testDataJob(10_000));
    expect(accepted.status).toBe(202);
    const job = accepted.body as { id: string; status: string; links: Record<string, string> };
    expect(job.status).toBe('queued');
    expect(job.links.self).toBe(`/api/v1/jobs/${job.id}`);
    expect(accepted.headers.get('location')).toBe(job.links.self);

    const ws = await connectWebSocket(`${stack.wsUrl}/ws/${job.id}`, stack.authHeaders);
    const done = await ws.waitFor((m) => m.status === 'completed' || m.status === 'failed');
    await ws.close();
    expect(done.status).toBe('completed');

    const events = ws.messages;
    expect(events[0]?.type).toBe('snapshot');
    for (let i = 1; i < events.length; i += 1) {
      const [prev, next] = [events[i - 1]!, events[i]!];
      expect(next.seq as number).toBeGreaterThan(prev.seq as number);
      expect(next.progress as number).toBeGreaterThanOrEqual(prev.progress as number);
      expect(STAGE_ORDER.indexOf(next.current_step as string)).toBeGreaterThanOrEqual(
        STAGE_ORDER.indexOf(prev.current_step as string),
      );
    }
    expect(events.some((e) => e.current_step === 'generating')).toBe(true);
    expect(events.at(-1)).toMatchObject({
      status: 'completed',
      current_step: 'completed',
      progress: 100,
    });

    const view = await stack.http('GET', `/api/v1/jobs/${job.id}`);
    expect(view.body).toMatchObject({ status: 'completed', progress: 100, attempts: 1 });
    expect(view.body.completed_at).toMatch(/Z$/);

    const download = await fetch(`${stack.url}/api/v1/jobs/${job.id}/result`, {
      headers: stack.authHeaders,
    });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toMatch(/application\/zip/);
    const files = await readZip(Buffer.from(await download.arrayBuffer()));
    const csvName = [...files.keys()].find((name) => name.endsWith('.csv'));
    expect(csvName).toBeDefined();
    const lines = files.get(csvName!)!.toString('utf8').trimEnd().split(/\r?\n/);
    expect(lines[0]).toBe('id,name,email,age,active');
    expect(lines).toHaveLength(10_001);
  });

  it('lists jobs newest first with cursor pagination', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await stack.http('POST', `/api/v1/jobs`, {
        generator: 'noop',
        input: {},
      });
      ids.push((res.body as { id: string }).id);
    }
    const first = await stack.http<{ jobs: { id: string }[]; next_cursor: string }>(
      'GET',
      `/api/v1/jobs?limit=2`,
    );
    expect(first.body.jobs.map((j) => j.id)).toEqual([ids[2], ids[1]]);
    const second = await stack.http<{ jobs: { id: string }[] }>(
      'GET',
      `/api/v1/jobs?limit=2&cursor=${first.body.next_cursor}`,
    );
    expect(second.body.jobs[0]?.id).toBe(ids[0]);
  });

  it('gives a late WebSocket subscriber the final state of a finished job', async () => {
    const res = await stack.http('POST', `/api/v1/jobs`, {
      generator: 'noop',
      input: {},
    });
    const id = (res.body as { id: string }).id;
    await waitUntil(
      () => stack.jobs.findById(id),
      (job) => job?.status === 'completed',
    );
    const ws = await connectWebSocket(`${stack.wsUrl}/ws`, stack.authHeaders);
    ws.send({ action: 'subscribe', job_id: id });
    const snapshot = await ws.waitFor((m) => m.job_id === id);
    await ws.close();
    expect(snapshot).toMatchObject({ type: 'snapshot', status: 'completed', progress: 100 });
  });

  it('answers 404 with the error body for an unknown job, over HTTP and WebSocket', async () => {
    const missing = '01900000-0000-7000-8000-000000000000';
    const res = await stack.http('GET', `/api/v1/jobs/${missing}`);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: { code: 'not_found' } });
    const notUuid = await stack.http('GET', `/api/v1/jobs/nope`);
    expect(notUuid.status).toBe(404);
    const result = await stack.http('GET', `/api/v1/jobs/${missing}/result`);
    expect(result.status).toBe(404);

    const ws = await connectWebSocket(`${stack.wsUrl}/ws/${missing}`, stack.authHeaders);
    const error = await ws.waitFor((m) => m.type === 'error');
    await ws.close();
    expect(error).toMatchObject({ job_id: missing, error: { code: 'not_found' } });
  });

  it('names the field at fault in validation errors', async () => {
    const cases: [unknown, string][] = [
      [{ input: {} }, 'generator'],
      [{ generator: 'nope', input: {} }, 'generator'],
      [{ generator: 'noop', input: { sleep_ms: 'slow' } }, 'input.sleep_ms'],
      [{ generator: 'noop', input: {}, priority: 'URGENT' }, 'priority'],
      [{ generator: 'noop', input: {}, extra: 1 }, 'extra'],
      [{ generator: 'noop', input: { sleep_ms: 1, nope: true } }, 'input.nope'],
    ];
    for (const [body, path] of cases) {
      const res = await stack.http<{ error: { code: string; details: { path: string }[] } }>(
        'POST',
        `/api/v1/jobs`,
        body,
      );
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details.map((d) => d.path)).toContain(path);
    }
    const malformed = await fetch(`${stack.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...stack.authHeaders },
      body: '{"generator":',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: 'validation_failed' } });
  });

  it('publishes every generator with its input JSON Schema', async () => {
    const res = await stack.http<{
      generators: { name: string; input_schema: { type: string } }[];
    }>('GET', `/api/v1/generators`);
    expect(res.status).toBe(200);
    const names = res.body.generators.map((g) => g.name);
    expect(names).toEqual(expect.arrayContaining(['test-data', 'noop']));
    expect(res.body.generators.every((g) => g.input_schema.type === 'object')).toBe(true);
  });
});
