import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { connectWebSocket, startTestStack, waitUntil, type TestStack } from '@genq/test-utils';

describe('job lifecycle', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ workers: 2, concurrency: 2, maxRetries: 2, retryDelayMs: 300 });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const submit = async (body: Record<string, unknown>): Promise<string> => {
    const res = await stack.http('POST', `/api/v1/jobs`, body);
    expect(res.status).toBe(202);
    return (res.body as { id: string }).id;
  };
  const view = async (id: string) => (await stack.http('GET', `/api/v1/jobs/${id}`)).body;

  it('retries a failing job with backoff, shows it retrying, then fails it with a readable error', async () => {
    const id = await submit({ generator: 'noop', input: { fail: 'always' } });
    const retrying = await waitUntil(
      () => view(id),
      (job) => job.status === 'retrying',
    );
    expect(retrying.retry_count).toBe(0);
    expect(retrying.attempts).toBe(1);
    expect(Date.parse(retrying.next_attempt_at as string)).toBeGreaterThan(Date.now() - 1000);
    expect(retrying.error).toMatchObject({ message: 'noop failed on request' });

    const failed = await waitUntil(
      () => view(id),
      (job) => job.status === 'failed',
    );
    expect(failed.attempts).toBe(3);
    expect(failed.retry_count).toBe(2);
    expect(failed.next_attempt_at).toBeNull();
    expect(failed.error).toMatchObject({
      code: 'attempts_exhausted',
      message: 'failed after 3 attempts: noop failed on request',
    });
  });

  it('fails an unrecoverable error at once, without retrying', async () => {
    const id = await submit({ generator: 'noop', input: { fail: 'unrecoverable' } });
    const failed = await waitUntil(
      () => view(id),
      (job) => job.status === 'failed',
    );
    expect(failed.attempts).toBe(1);
    expect(failed.error).toMatchObject({ code: 'generation_failed' });
  });

  it('cancels a queued job (200), a running one (202) and refuses a finished one (409)', async () => {
    const done = await submit({ generator: 'noop', input: {} });
    await waitUntil(
      () => view(done),
      (job) => job.status === 'completed',
    );
    expect((await stack.http('DELETE', `/api/v1/jobs/${done}`)).status).toBe(409);

    // Occupy all four slots so the next job waits in the queue.
    const blockers = await Promise.all(
      [1, 2, 3, 4].map(() => submit({ generator: 'noop', input: { sleep_ms: 30_000, steps: 30 } })),
    );
    await waitUntil(
      () => Promise.all(blockers.map(view)),
      (jobs) => jobs.every((job) => job.status === 'running'),
    );
    const queued = await submit({ generator: 'noop', input: {} });
    const cancelQueued = await stack.http('DELETE', `/api/v1/jobs/${queued}`);
    expect(cancelQueued.status).toBe(200);
    expect(cancelQueued.body.status).toBe('cancelled');

    for (const id of blockers) {
      const res = await stack.http('DELETE', `/api/v1/jobs/${id}`);
      expect(res.status).toBe(202);
      expect(res.body.status).toBe('cancelling');
    }
    for (const id of blockers) {
      await waitUntil(
        () => view(id),
        (job) => job.status === 'cancelled',
      );
    }
    // A cancelled job is never retried, and its files are gone.
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const id of [queued, ...blockers]) {
      const job = await view(id);
      expect(job).toMatchObject({ status: 'cancelled', current_step: 'cancelled' });
      expect(job.attempts).toBeLessThanOrEqual(1);
    }
    expect(await readdir(stack.artifactsDir)).not.toEqual(expect.arrayContaining(blockers));
  });

  it('stops a running 1,000,000-row test-data job within a second of DELETE', async () => {
    const id = await submit({
      generator: 'test-data',
      input: {
        rows: 1_000_000,
        format: 'csv',
        fields: [
          { name: 'id', type: 'uuid' },
          { name: 'name', type: 'name' },
          { name: 'email', type: 'email' },
        ],
      },
    });
    const ws = await connectWebSocket(`${stack.wsUrl}/ws/${id}`, stack.authHeaders);
    await ws.waitFor((m) => m.current_step === 'generating' && (m.progress as number) > 1);
    const asked = Date.now();
    const res = await stack.http('DELETE', `/api/v1/jobs/${id}`);
    expect(res.status).toBe(202);
    await ws.waitFor((m) => m.status === 'cancelled');
    const took = Date.now() - asked;
    await ws.close();
    expect(took).toBeLessThan(1000);
    expect(await readdir(stack.artifactsDir)).not.toContain(id);
  });

  it('never runs two jobs of one target at once, and publishes the target atomically', async () => {
    const target = 'openai_gpt-4o/app3';
    const ids = await Promise.all(
      [1, 2, 3].map(() =>
        submit({ generator: 'noop', input: { sleep_ms: 300, write_file: true }, target }),
      ),
    );
    const other = await submit({
      generator: 'noop',
      input: { sleep_ms: 300 },
      target: 'other/app',
    });
    const rows = await waitUntil(
      () => Promise.all([...ids, other].map((id) => stack.jobs.findById(id))),
      (jobs) => jobs.every((job) => job?.status === 'completed'),
    );
    const spans = rows
      .slice(0, 3)
      .map((job) => [job!.startedAt!.getTime(), job!.completedAt!.getTime()] as const)
      .sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i += 1) {
      expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
    }
    const last = rows
      .slice(0, 3)
      .sort((a, b) => b!.completedAt!.getTime() - a!.completedAt!.getTime())[0]!;
    const current = path.join(stack.artifactsDir, 'targets', target, 'current');
    expect(await readlink(current)).toBe(path.join('versions', last.id));
    expect(await readdir(current)).toEqual(['noop.txt']);
  });
});
