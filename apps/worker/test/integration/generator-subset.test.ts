import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestStack, waitUntil, type TestStack } from '@genq/test-utils';

// GENQ_WORKER_GENERATORS: GPU workers and CPU workers serve different generators and
// scale apart; a worker never takes a job of a generator it does not serve.
describe('workers serving a subset of generators', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ workers: 1, workerGenerators: ['music'] });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a worker started with GENQ_WORKER_GENERATORS=music never takes a test-data job', async () => {
    const other = await stack.http('POST', '/api/v1/jobs', {
      generator: 'test-data',
      input: { rows: 10, fields: [{ name: 'id', type: 'uuid' }] },
    });
    const mine = await stack.http('POST', '/api/v1/jobs', {
      generator: 'music',
      input: { prompt: 'calm piano', duration: 1, seed: 1 },
    });
    const [otherId, mineId] = [other.body.id as string, mine.body.id as string];
    await waitUntil(
      () => stack.jobs.findById(mineId),
      (job) => job?.status === 'completed',
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await stack.jobs.findById(otherId)).toMatchObject({ status: 'queued', attempts: 0 });

    const stats = await stack.http<{ live_workers: number }>('GET', '/api/v1/queue/stats');
    expect(stats.status).toBe(200);
  });
});
