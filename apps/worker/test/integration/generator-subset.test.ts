import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestStack, waitUntil, type TestStack } from '@genq/test-utils';

// GENQ_WORKER_GENERATORS: GPU workers and CPU workers serve different generators and
// scale apart; a worker never takes a job of a generator it does not serve.
describe('workers serving a subset of generators', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ workers: 1, workerGenerators: ['noop'] });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('leaves jobs of other generators waiting for a worker that serves them', async () => {
    const other = await stack.http('POST', '/api/v1/jobs', {
      generator: 'test-data',
      input: { rows: 10, fields: [{ name: 'id', type: 'uuid' }] },
    });
    const mine = await stack.http('POST', '/api/v1/jobs', { generator: 'noop', input: {} });
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
