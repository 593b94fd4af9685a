import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import WebSocket from 'ws';
import {
  connectWebSocket,
  requestJson,
  startProcessStack,
  startTestStack,
  waitUntil,
  type ProcessStack,
  type RecordingSocket,
  type TestClient,
  type TestStack,
} from '@genq/test-utils';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const UUID_LIKE = '0190f3c2-0000-7000-8000-000000000000';

/** Resolves with the close code and reason once the server closed the socket. */
function closed(ws: RecordingSocket): Promise<{ code: number; reason: string }> {
  ws.socket.on('error', () => undefined);
  if (ws.socket.readyState === WebSocket.CLOSED) return Promise.resolve({ code: 0, reason: '' });
  return new Promise((resolve) =>
    ws.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

describe('WebSocket bounds per socket (in-process API, small limits)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({
      socketLimits: { maxSubscriptions: 5, messagesPerSecond: 20, messageBurst: 50 },
    });
  });

  afterAll(async () => {
    await stack?.close();
  });

  async function submitBatch(count: number): Promise<{ batch_id: string; job_ids: string[] }> {
    const res = await stack.http<{ batch_id: string; job_ids: string[] }>(
      'POST',
      '/api/v1/jobs/batch',
      { requests: Array.from({ length: count }, () => ({ generator: 'noop', input: {} })) },
    );
    expect(res.status).toBe(202);
    return res.body;
  }

  it('answers a subscription past the cap with too_many_subscriptions, then closes with 1008', async () => {
    const batch = await submitBatch(5);
    const ws = await connectWebSocket(`${stack.wsUrl}/ws`, stack.client.headers);
    const closing = closed(ws);
    // Four jobs and the batch hold the five subscriptions a socket may have.
    for (const id of batch.job_ids.slice(0, 4)) ws.send({ action: 'subscribe', job_id: id });
    ws.send({ action: 'subscribe', batch_id: batch.batch_id });
    // Subscribing again to what it follows takes no room.
    ws.send({ action: 'subscribe', job_id: batch.job_ids[0] });
    await waitUntil(
      async () => ws.messages.filter((m) => m.type === 'snapshot' || m.type === 'batch_snapshot'),
      (snapshots) => snapshots.length === 5,
      10_000,
    );
    expect(ws.socket.readyState).toBe(WebSocket.OPEN);

    ws.send({ action: 'subscribe', job_id: batch.job_ids[4] });
    expect(await closing).toEqual({ code: 1008, reason: 'too_many_subscriptions' });
    expect(ws.messages.at(-1)).toEqual({
      type: 'error',
      job_id: null,
      error: { code: 'too_many_subscriptions', message: expect.stringContaining('at most 5') },
    });
  });

  it('counts subscriptions held at once: unsubscribing, or an unknown job, frees room', async () => {
    const batch = await submitBatch(6);
    const ws = await connectWebSocket(`${stack.wsUrl}/ws`, stack.client.headers);
    for (const id of batch.job_ids.slice(0, 5)) ws.send({ action: 'subscribe', job_id: id });
    ws.send({ action: 'unsubscribe', job_id: batch.job_ids[0] });
    ws.send({ action: 'subscribe', job_id: batch.job_ids[5] });
    await waitUntil(
      async () => new Set(ws.messages.map((m) => m.job_id)),
      (ids) => batch.job_ids.slice(1).every((id) => ids.has(id)),
      10_000,
    );
    // Full again; an unknown job is answered not_found and leaves no subscription behind.
    ws.send({ action: 'unsubscribe', job_id: batch.job_ids[1] });
    ws.send({ action: 'subscribe', job_id: UUID_LIKE });
    expect(await ws.waitFor((m) => m.job_id === UUID_LIKE, 10_000)).toMatchObject({
      error: { code: 'not_found' },
    });
    ws.send({ action: 'subscribe', job_id: batch.job_ids[1] });
    await ws.waitFor((m) => m.job_id === batch.job_ids[1] && ws.messages.indexOf(m) > 5, 10_000);
    expect(ws.messages.some((m) => m.type === 'error' && m.job_id === null)).toBe(false);
    expect(ws.socket.readyState).toBe(WebSocket.OPEN);
    await ws.close();
  });

  it('closes a socket that sends over its rate with rate_limited and 1008', async () => {
    const ws = await connectWebSocket(`${stack.wsUrl}/ws`, stack.client.headers);
    const closing = closed(ws);
    // Unsubscribing from nothing costs nothing but the message: only the rate limits it.
    for (let i = 0; i < 200; i += 1) ws.send({ action: 'unsubscribe', job_id: UUID_LIKE });
    expect(await closing).toEqual({ code: 1008, reason: 'rate_limited' });
    expect(ws.messages).toEqual([
      {
        type: 'error',
        job_id: null,
        error: { code: 'rate_limited', message: expect.stringContaining('20 messages per second') },
      },
    ]);
  });

  it('counts pings against the rate too', async () => {
    const ws = await connectWebSocket(`${stack.wsUrl}/ws`, stack.client.headers);
    const closing = closed(ws);
    for (let i = 0; i < 200; i += 1) ws.socket.ping();
    expect(await closing).toEqual({ code: 1008, reason: 'rate_limited' });
  });

  it('lets a client send within its rate for as long as it likes', async () => {
    const ws = await connectWebSocket(`${stack.wsUrl}/ws`, stack.client.headers);
    // 40 at once (within the burst of 50), then 10 per second (half the rate) for 3 s.
    for (let i = 0; i < 40; i += 1) ws.send({ action: 'unsubscribe', job_id: UUID_LIKE });
    for (let i = 0; i < 30; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      ws.send({ action: 'unsubscribe', job_id: UUID_LIKE });
    }
    ws.send({ action: 'subscribe', job_id: UUID_LIKE });
    expect(await ws.waitFor((m) => m.job_id === UUID_LIKE, 10_000)).toMatchObject({
      error: { code: 'not_found' },
    });
    expect(ws.socket.readyState).toBe(WebSocket.OPEN);
    await ws.close();
  });
});

type FloodKind = 'own' | 'random' | 'unsubscribe';

/** What the flooding process saw on one of its sockets. */
interface FloodResult {
  kind: FloodKind;
  sent: number;
  code: number;
  reason: string;
  errors: string[];
}

const FLOODER = `
  import WebSocket from 'ws';
  import { randomUUID } from 'node:crypto';
  import { once } from 'node:events';
  const { url, key, kinds, count, ids } = JSON.parse(process.env.FLOOD);
  const message = (kind, i) =>
    kind === 'own'
      ? { action: 'subscribe', job_id: ids[i % ids.length] }
      : kind === 'random'
        ? { action: 'subscribe', job_id: randomUUID() }
        : { action: 'unsubscribe', job_id: 'x' };
  const sockets = [];
  for (const kind of kinds) {
    const ws = new WebSocket(url, { headers: { authorization: 'Bearer ' + key } });
    const result = { kind, sent: 0, code: 0, reason: '', errors: [] };
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      if (m.type === 'error') result.errors.push(m.error.code);
    });
    ws.on('error', () => undefined);
    const closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => {
        result.code = code;
        result.reason = reason.toString();
        resolve();
      }),
    );
    await once(ws, 'open');
    sockets.push({ ws, result, closed, kind });
  }
  process.stdout.write('ready\\n');
  await once(process.stdin, 'data');
  for (const { ws, result, closed, kind } of sockets) {
    // In rounds of 500, so that it notices the close and stops.
    while (result.sent < count && ws.readyState === WebSocket.OPEN) {
      for (let i = 0; i < 500; i += 1) ws.send(JSON.stringify(message(kind, result.sent + i)));
      result.sent += 500;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await closed;
  }
  process.stdout.write(JSON.stringify(sockets.map((s) => s.result)));
  process.exit(0);
`;

/**
 * A flooding client in a process of its own (started and connected beforehand), so the test
 * process stays free to time /health: one socket per kind, flooded one after the other with
 * up to `count` messages each, as fast as it can send.
 */
async function startFlooder(options: {
  url: string;
  key: string;
  kinds: FloodKind[];
  count: number;
  ids: string[];
}): Promise<{ go(): Promise<FloodResult[]> }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', FLOODER], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', FLOOD: JSON.stringify(options) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<FloodResult[]>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out.replace(/^ready\n/, '')) as FloodResult[]);
      else reject(new Error(`flooder exited with ${code}: ${err}`));
    });
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.startsWith('ready\n')) resolve();
    });
    exited.catch(reject);
  });
  return {
    go() {
      child.stdin.write('go\n');
      return exited;
    },
  };
}

/** Times `count` sequential GET /health, or as many as fit while `busy()` holds. */
async function timeHealth(url: string, count: number, busy = () => false): Promise<number[]> {
  const timings: number[] = [];
  while (busy() || timings.length < count) {
    const started = performance.now();
    const health = await fetch(`${url}/health`);
    await health.arrayBuffer();
    timings.push(performance.now() - started);
    expect(health.status).toBe(200);
  }
  return timings.sort((a, b) => a - b);
}

const p99 = (sorted: number[]): number => sorted[Math.ceil(sorted.length * 0.99) - 1]!;

/** Resident memory of a process, in bytes (Linux). */
async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

// The API as its own process with production's defaults, so timings and memory are its own.
describe('a WebSocket flood (separate API process, default limits)', () => {
  let stack: ProcessStack;
  let client: TestClient;
  let url: string;

  beforeAll(async () => {
    stack = await startProcessStack();
    url = stack.urls[0]!;
    client = await stack.createClient('premium');
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('closes flooding sockets while another socket keeps its events and /health stays fast', async () => {
    // Another client's socket follows a job that reports progress all through the flood.
    const other = await stack.createClient('standard');
    const job = await requestJson<{ id: string }>(
      'POST',
      `${url}/api/v1/jobs`,
      { generator: 'noop', input: { sleep_ms: 6_000, steps: 60 } },
      other.headers,
    );
    expect(job.status).toBe(202);
    const watcher = await connectWebSocket(`${stack.wsUrls[0]}/ws/${job.body.id}`, other.headers);
    await watcher.waitFor((m) => m.type === 'progress', 20_000);
    // Warm up, then take the baseline.
    for (let i = 0; i < 20; i += 1) await (await fetch(`${url}/health`)).arrayBuffer();
    // The flooding client's own jobs, more than one socket may follow.
    const ownJobs: string[] = [];
    for (let i = 0; i < 11; i += 1) {
      const batch = await requestJson<{ job_ids: string[] }>(
        'POST',
        `${url}/api/v1/jobs/batch`,
        { requests: Array.from({ length: 100 }, () => ({ generator: 'noop', input: {} })) },
        client.headers,
      );
      expect(batch.status).toBe(202);
      ownJobs.push(...batch.body.job_ids);
    }
    const pid = stack.apis[0]!.child.pid!;
    const kinds: FloodKind[] = ['own', 'random', 'unsubscribe'];
    const flooder = await startFlooder({
      url: `${stack.wsUrls[0]}/ws`,
      key: client.apiKey,
      kinds: [...kinds, ...kinds, ...kinds],
      count: 20_000,
      ids: ownJobs,
    });
    // Measured the same way with the flooder connected and idle: what this machine gives.
    const baseline = await timeHealth(url, 200);
    const rssBefore = await rssOf(pid);

    const progressBefore = watcher.messages.length;
    let flooding = true;
    const flood = flooder.go().finally(() => (flooding = false));
    const timings = await timeHealth(url, 200, () => flooding);
    const results = await flood;

    for (const result of results) {
      expect(result.code).toBe(1008);
      // Closed long before it could send all it meant to.
      expect(result.sent).toBeLessThan(20_000);
      if (result.kind === 'own') expect(result.reason).toBe('too_many_subscriptions');
      // Unknown ids are answered not_found quickly, freeing room: then the rate closes it.
      if (result.kind === 'random') {
        expect(['too_many_subscriptions', 'rate_limited']).toContain(result.reason);
      }
      if (result.kind === 'unsubscribe') expect(result.reason).toBe('rate_limited');
      expect(result.errors).toContain(result.reason);
    }
    // The other socket kept getting its job's progress during the flood.
    await waitUntil(
      async () => watcher.messages.length,
      (n) => n > progressBefore + 5,
      10_000,
    );
    expect(watcher.socket.readyState).toBe(WebSocket.OPEN);

    // The target is a /health p99 under 10 ms during a flood. Where this machine cannot
    // answer that fast even without one (a loaded 2-core box also runs the flooder, PostgreSQL
    // and Redis), the flood may at most multiply the baseline: a blocked loop (the issue saw
    // more than a second) still fails this.
    expect(p99(timings)).toBeLessThan(Math.max(10, 5 * p99(baseline)));
    // Floods leave the process about as big as they found it (the issue saw +100 MB).
    expect((await rssOf(pid)) - rssBefore).toBeLessThan(40 * 1024 * 1024);
    await watcher.close();
  });
});
