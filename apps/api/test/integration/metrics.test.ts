import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import winston from 'winston';
import { createLogger } from '@genq/core';
import { requestJson, startTestStack, waitUntil, type TestStack } from '@genq/test-utils';

type Labels = Record<string, string>;

/** Every sample of `name` in Prometheus text, with its labels. */
function samples(text: string, name: string): { labels: Labels; value: number }[] {
  const found: { labels: Labels; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Labels = {};
    for (const [, key, value] of (match[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = value!;
    }
    found.push({ labels, value: Number(match[2]) });
  }
  return found;
}

/** The value of the sample of `name` whose labels include `labels` (undefined if none). */
function sample(text: string, name: string, labels: Labels = {}): number | undefined {
  return samples(text, name).find((s) =>
    Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  )?.value;
}

describe('metrics, status and logs', () => {
  let stack: TestStack;
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const token = `metrics-${randomBytes(12).toString('hex')}`;
  const auth = { authorization: `Bearer ${token}` };

  const scrape = async (headers: Record<string, string> = auth) => {
    const res = await fetch(`${stack.url}/metrics`, { headers });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };

  beforeAll(async () => {
    // Every line the API and the worker write, as production writes them (JSON, redaction).
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
          raw.push(line);
          lines.push(JSON.parse(line) as Record<string, unknown>);
        }
        done();
      },
    });
    const logger = createLogger({
      level: 'debug',
      format: 'json',
      service: 'test',
      transports: [new winston.transports.Stream({ stream: sink })],
    });
    stack = await startTestStack({
      workers: 1,
      logger,
      metricsToken: token,
      metricsPushIntervalMs: 200,
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("shows a job's lifecycle, HTTP latency per route pattern and the workers' series", async () => {
    const accepted = await stack.http('POST', '/api/v1/jobs', { generator: 'noop', input: {} });
    expect(accepted.status).toBe(202);
    const id = (accepted.body as { id: string }).id;
    await waitUntil(
      () => stack.jobs.findById(id),
      (job) => job?.status === 'completed',
    );
    expect((await stack.http('GET', `/api/v1/jobs/${id}`)).status).toBe(200);

    // Workers push every 200 ms here (10 s by default).
    const { text, type } = await waitUntil(scrape, (s) => {
      const count = sample(s.text, 'genq_job_duration_seconds_count', {
        generator: 'noop',
        outcome: 'completed',
      });
      return count !== undefined && count >= 1;
    });
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);

    const worker = stack.workers[0]!.workerId;
    expect(
      sample(text, 'genq_job_duration_seconds_count', { generator: 'noop', worker }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'genq_job_wait_seconds_count', { generator: 'noop' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'genq_job_retries_total', { generator: 'noop' }) ?? 0).toBe(0);
    expect(sample(text, 'genq_worker_job_slots', { worker })).toBeGreaterThan(0);
    expect(sample(text, 'genq_worker_running_jobs', { worker })).toBe(0);
    // Fleet counters (kept in Redis by whoever ends a job).
    expect(sample(text, 'genq_jobs_total', { generator: 'noop', outcome: 'completed' })).toBe(1);
    expect(sample(text, 'genq_jobs_total', { generator: 'noop', outcome: 'failed' })).toBe(0);
    expect(sample(text, 'genq_jobs_total', { generator: 'noop', outcome: 'cancelled' })).toBe(0);
    // Queue depth per state and priority, read on scrape.
    expect(sample(text, 'genq_queue_jobs', { generator: 'noop', state: 'waiting' })).toBe(0);
    expect(sample(text, 'genq_queue_jobs', { generator: 'noop', state: 'active' })).toBe(0);
    expect(sample(text, 'genq_queue_waiting_jobs', { generator: 'noop', priority: 'HIGH' })).toBe(
      0,
    );
    expect(sample(text, 'genq_queue_oldest_waiting_seconds')).toBe(0);
    expect(sample(text, 'genq_queue_stats_up')).toBe(1);
    expect(sample(text, 'genq_workers_live')).toBe(1);
    expect(sample(text, 'genq_worker_capacity', { generator: 'noop' })).toBeGreaterThan(0);
    expect(sample(text, 'genq_websocket_connections')).toBe(0);
    expect(sample(text, 'genq_http_requests_in_flight')).toBeGreaterThanOrEqual(1);
    // HTTP latency by route pattern, never by raw URL.
    expect(
      sample(text, 'genq_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/api/v1/jobs',
        status_code: '202',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'genq_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/api/v1/jobs/:id',
        status_code: '200',
      }),
    ).toBe(1);
    expect(text).not.toContain(id);
    // Process metrics of the API (no worker label) and of the worker.
    const rss = samples(text, 'process_resident_memory_bytes');
    expect(rss.some((s) => s.labels.worker === undefined)).toBe(true);
    expect(rss.some((s) => s.labels.worker === worker)).toBe(true);
  });

  it('asks for GENQ_METRICS_TOKEN on /metrics and /status when one is set', async () => {
    expect((await scrape({})).status).toBe(401);
    expect((await scrape({ authorization: 'Bearer not-the-token' })).status).toBe(401);
    expect((await scrape({ authorization: `Bearer ${stack.apiKey}` })).status).toBe(401);
    expect((await requestJson('GET', `${stack.url}/status`)).status).toBe(401);
    expect((await scrape()).status).toBe(200);
  });

  it('reports requests in flight, workers and queue counters on /status', async () => {
    const res = await requestJson<{
      http: { requests_in_flight: number };
      websocket: { connections: number };
      process: { pid: number; memory_mb: { rss: number } };
      workers: {
        live: number;
        job_slots: number;
        processes: { id: string; concurrency: number; running: number; generators: string[] }[];
      };
      queue: { completed: number; pending: number; processing: number };
    }>('GET', `${stack.url}/status`, undefined, auth);
    expect(res.status).toBe(200);
    expect(res.body.http.requests_in_flight).toBeGreaterThanOrEqual(1);
    expect(res.body.websocket.connections).toBe(0);
    expect(res.body.process.pid).toBe(process.pid);
    expect(res.body.process.memory_mb.rss).toBeGreaterThan(0);
    expect(res.body.workers.live).toBe(1);
    expect(res.body.workers.processes[0]).toMatchObject({
      id: stack.workers[0]!.workerId,
      concurrency: 2,
    });
    expect(typeof res.body.workers.processes[0]!.running).toBe('number');
    expect(res.body.workers.job_slots).toBe(2 * res.body.workers.processes[0]!.generators.length);
    expect(res.body.queue).toMatchObject({ pending: 0, processing: 0 });
    expect(res.body.queue.completed).toBeGreaterThanOrEqual(1);
  });

  it('tags every log line of a request with its id and never logs a key', async () => {
    // A batch whose result file went missing: the batch service logs a warning while it
    // answers, without being told the request id.
    const batch = await stack.http<{ batch_id: string; job_ids: string[] }>(
      'POST',
      '/api/v1/jobs/batch',
      { requests: [{ generator: 'noop', input: { write_file: true } }] },
    );
    expect(batch.status).toBe(202);
    const [jobId] = batch.body.job_ids;
    await waitUntil(
      () => stack.jobs.findById(jobId!),
      (job) => job?.status === 'completed',
    );
    await rm(path.join(stack.artifactsDir, jobId!), { recursive: true, force: true });

    const requestId = `test-${randomBytes(6).toString('hex')}`;
    const download = await fetch(`${stack.url}/api/v1/batches/${batch.body.batch_id}/result`, {
      headers: { ...stack.authHeaders, 'x-request-id': requestId },
    });
    expect(download.status).toBe(200);
    expect(download.headers.get('x-request-id')).toBe(requestId);
    await download.arrayBuffer();

    // Keys presented in the places a careless client might put them.
    const wrongKey = `genq_${randomBytes(32).toString('base64url')}`;
    for (const [url, headers] of [
      [`/api/v1/jobs?api_key=${stack.apiKey}`, stack.authHeaders],
      [`/api/v1/jobs/${stack.apiKey}`, stack.authHeaders],
      ['/api/v1/jobs', { authorization: `Bearer ${wrongKey}` }],
      ['/api/v1/jobs', { 'x-api-key': stack.apiKey }],
    ] as const) {
      await (await fetch(`${stack.url}${url}`, { headers })).arrayBuffer();
    }

    const ofRequest = await waitUntil(
      async () => lines.filter((l) => l.requestId === requestId),
      (found) => found.some((l) => l.message === 'request'),
    );
    const warning = ofRequest.find(
      (l) => l.message === 'a completed job of a batch has no readable result',
    );
    expect(warning).toMatchObject({ jobId, level: 'warn' });
    expect(ofRequest.find((l) => l.message === 'request')).toMatchObject({
      method: 'GET',
      route: '/api/v1/batches/:id/result',
      status: 200,
      clientId: stack.client.clientId,
    });
    expect(typeof ofRequest.find((l) => l.message === 'request')?.ms).toBe('number');
    // Each job line carries its job id (the worker's log context).
    expect(lines.some((l) => l.jobId === jobId && l.message === 'job completed')).toBe(true);

    await waitUntil(
      async () => lines.filter((l) => l.message === 'request' && l.status === 401).length,
      (n) => n >= 1,
    );
    const all = raw.join('\n');
    for (const secret of [stack.apiKey, wrongKey, stack.adminKey, token]) {
      expect(all).not.toContain(secret);
    }
  });
});
