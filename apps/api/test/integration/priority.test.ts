import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestStack, waitUntil, type TestStack } from '@genq/test-utils';

describe('priorities', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ workers: 1, concurrency: 1 });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const submit = async (priority: string, sleepMs: number): Promise<string> => {
    const res = await stack.http('POST', `/api/v1/jobs`, {
      generator: 'noop',
      input: { sleep_ms: sleepMs },
      priority,
    });
    expect(res.status).toBe(202);
    return (res.body as { id: string }).id;
  };

  it('starts a HIGH job submitted after many LOW jobs before them on a saturated worker', async () => {
    // Holds the only worker slot until cancelled, however slow this machine is today.
    const blocker = await submit('NORMAL', 60_000);
    await waitUntil(
      () => stack.jobs.findById(blocker),
      (job) => job?.status === 'running',
    );
    const low: string[] = [];
    for (let i = 0; i < 20; i += 1) low.push(await submit('LOW', 10));
    const high = await submit('HIGH', 10);
    const cancel = await stack.http('DELETE', `/api/v1/jobs/${blocker}`);
    expect(cancel.status).toBe(202);

    const all = [...low, high];
    const rows = await waitUntil(
      async () => Promise.all(all.map((id) => stack.jobs.findById(id))),
      (jobs) => jobs.every((job) => job?.status === 'completed'),
    );
    expect((await stack.jobs.findById(blocker))?.status).toBe('cancelled');
    const started = (id: string): number =>
      rows.find((row) => row?.id === id)!.startedAt!.getTime();
    for (const id of low) expect(started(high)).toBeLessThan(started(id));
    const view = await stack.http('GET', `/api/v1/jobs/${high}`);
    expect(view.body.priority).toBe('HIGH');
  });
});
