import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  startPrivateRedis,
  startTestStack,
  type PrivateRedis,
  type TestStack,
} from '@genq/test-utils';

describe('when Redis is down', () => {
  let redis: PrivateRedis;
  let stack: TestStack;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    stack = await startTestStack({ workers: 0, redisUrl: redis.url });
    await redis.stop();
  });
  afterAll(async () => {
    await redis?.start();
    await stack?.close();
    await redis?.stop();
  });

  it('answers a submission with 503 and Retry-After at once, writing nothing', async () => {
    const started = Date.now();
    const res = await stack.http('POST', '/api/v1/jobs', { generator: 'noop', input: {} });
    const took = Date.now() - started;
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ error: { code: 'service_unavailable' } });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    // "Quickly, never hangs": far below any client timeout.
    expect(took).toBeLessThan(3000);
    expect(await stack.db.job.count()).toBe(0);
  });

  it('still serves reads from PostgreSQL', async () => {
    const res = await stack.http('GET', '/api/v1/jobs');
    expect(res.status).toBe(200);
  });

  it('accepts submissions again once Redis is back', async () => {
    await redis.start();
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await stack.http('POST', '/api/v1/jobs', { generator: 'noop', input: {} })).status;
      if (status === 202) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(202);
  });
});
