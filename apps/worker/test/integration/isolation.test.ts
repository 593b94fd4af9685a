import { access } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  requestJson,
  startProcessStack,
  waitUntil,
  type ProcessStack,
  type TestClient,
} from '@genq/test-utils';

const FIXTURES = fileURLToPath(new URL('../fixtures/hostile-generators.mjs', import.meta.url));
const KILL_GRACE_MS = 1000;

interface JobView {
  id: string;
  status: string;
  attempts: number;
  error: { code: string; message: string } | null;
}

/**
 * Generators that spin, allocate or write without end, and kill their thread, on the real
 * worker process: each ends as it must, and the worker's own loop never stops.
 */
describe('generators run where the worker can stop them', () => {
  let stack: ProcessStack;
  let client: TestClient;
  let beats: { maxGapMs: number; stop: () => void };

  const submit = async (body: Record<string, unknown>): Promise<string> => {
    const res = await requestJson<JobView>(
      'POST',
      `${stack.urls[0]}/api/v1/jobs`,
      body,
      client.headers,
    );
    expect(res.status).toBe(202);
    return res.body.id;
  };
  const job = async (id: string): Promise<JobView> =>
    (
      await requestJson<JobView>(
        'GET',
        `${stack.urls[0]}/api/v1/jobs/${id}`,
        undefined,
        client.headers,
      )
    ).body;
  const ended = (id: string, withinMs: number): Promise<JobView> =>
    waitUntil(
      () => job(id),
      (view) => ['completed', 'failed', 'cancelled'].includes(view.status),
      withinMs,
    );

  /** Reads the worker's heartbeat every 100 ms and keeps the longest time it went unchanged. */
  function watchHeartbeats(): { maxGapMs: number; stop: () => void } {
    const state = { maxGapMs: 0, stop: () => clearInterval(timer) };
    let lastAt = 0;
    let lastChange = Date.now();
    const timer = setInterval(() => {
      void stack.redis.hgetall(`${stack.prefix}:workers`).then((all) => {
        const at = Math.max(...Object.values(all).map((b) => (JSON.parse(b) as { at: number }).at));
        const now = Date.now();
        if (at !== lastAt) {
          lastAt = at;
          lastChange = now;
        }
        state.maxGapMs = Math.max(state.maxGapMs, now - lastChange);
      });
    }, 100);
    return state;
  }

  beforeAll(async () => {
    stack = await startProcessStack({
      env: {
        GENQ_GENERATOR_MODULES: FIXTURES,
        GENQ_KILL_GRACE_MS: String(KILL_GRACE_MS),
        GENQ_HEARTBEAT_INTERVAL_MS: '500',
        GENQ_WORKER_CONCURRENCY: '2',
        GENQ_RETRY_DELAY_MS: '100',
        GENQ_GENERATOR_LIMITS: JSON.stringify({
          spin: { timeout_ms: 60_000 },
          hog: { memory_mb: 64 },
          flood: { max_output_bytes: 1_048_576, max_output_files: 50 },
          careless: { max_output_bytes: 1_048_576 },
        }),
      },
    });
    client = await stack.createClient();
    beats = watchHeartbeats();
  }, 60_000);

  afterAll(async () => {
    beats.stop();
    await stack.close();
  });

  it("publishes each generator's limits, and refuses a job asking for more time than allowed", async () => {
    const res = await requestJson<{
      generators: { name: string; limits: Record<string, number> }[];
    }>('GET', `${stack.urls[0]}/api/v1/generators`);
    const hog = res.body.generators.find((g) => g.name === 'hog');
    expect(hog?.limits).toMatchObject({ memory_mb: 64 });
    const refused = await requestJson<{ error: { details: { path: string }[] } }>(
      'POST',
      `${stack.urls[0]}/api/v1/jobs`,
      { generator: 'spin', input: {}, timeout_ms: 60_001 },
      client.headers,
    );
    expect(refused.status).toBe(400);
    expect(refused.body.error.details.map((d) => d.path)).toEqual(['timeout_ms']);
  });

  it('cancels an endless synchronous loop while another job on the same worker completes', async () => {
    const spin = await submit({ generator: 'spin', input: {} });
    const other = await submit({ generator: 'noop', input: { sleep_ms: 3000, steps: 6 } });
    await waitUntil(
      () => job(spin),
      (view) => view.status === 'running',
      20_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const asked = Date.now();
    const res = await requestJson(
      'DELETE',
      `${stack.urls[0]}/api/v1/jobs/${spin}`,
      undefined,
      client.headers,
    );
    expect(res.status).toBe(202);
    const cancelled = await ended(spin, 10_000);
    expect(cancelled.status).toBe('cancelled');
    expect(Date.now() - asked).toBeLessThan(KILL_GRACE_MS + 1000 + 500);
    expect((await ended(other, 20_000)).status).toBe('completed');
    expect(beats.maxGapMs).toBeLessThan(2000);
  });

  it('fails an endless loop with timeout at its wall-time limit', async () => {
    const started = Date.now();
    const spin = await submit({ generator: 'spin', input: {}, timeout_ms: 1500 });
    const view = await ended(spin, 20_000);
    expect(view.status).toBe('failed');
    expect(view.error?.code).toBe('timeout');
    // Not retried: another attempt would time out the same way.
    expect(view.attempts).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(beats.maxGapMs).toBeLessThan(2000);
  });

  it('fails runaway memory with memory_limit, and the worker process lives on', async () => {
    const view = await ended(await submit({ generator: 'hog', input: {} }), 30_000);
    expect(view.status).toBe('failed');
    expect(view.error?.code).toBe('memory_limit');
    expect(stack.workers[0]!.child.exitCode).toBeNull();
    expect((await ended(await submit({ generator: 'noop', input: {} }), 10_000)).status).toBe(
      'completed',
    );
  });

  it.each([
    ['many files', 'flood', {}],
    ['one endless stream', 'flood', { stream: true }],
    ['a stream with no error listener', 'careless', {}],
  ])(
    'fails output over the cap (%s) with output_limit, and leaves nothing on disk',
    async (_what, generator, input) => {
      const id = await submit({ generator, input });
      const view = await ended(id, 30_000);
      expect(view.status).toBe('failed');
      expect(view.error?.code).toBe('output_limit');
      const dir = path.join(stack.env.GENQ_ARTIFACTS_DIR!, id);
      await expect(access(dir)).rejects.toThrow();
    },
  );

  it('fails a job that kills its thread on every attempt as poison after two', async () => {
    const view = await ended(await submit({ generator: 'crash', input: {} }), 30_000);
    expect(view.status).toBe('failed');
    expect(view.error?.code).toBe('poison');
    expect(view.error?.message).toMatch(/thread/);
    // A third attempt never started, though the retry budget allows four.
    expect(view.attempts).toBe(2);
    expect(stack.workers[0]!.child.exitCode).toBeNull();
  });
});
