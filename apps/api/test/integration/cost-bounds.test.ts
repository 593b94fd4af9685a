import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestStack, waitUntil, type TestStack } from '@genq/test-utils';

/**
 * Cost bounds at submission: an input whose worst case (output bytes, work) is over its
 * generator's limits, or whose pattern could backtrack or multiply, is a 400 naming the
 * field, for single jobs and for every batch item; a reasonable input still runs.
 */

interface ErrorBody {
  error: { code: string; message: string; details: { path: string; message: string }[] };
}

const testData = (input: Record<string, unknown>) => ({ generator: 'test-data', input });

describe('cost bounds at submission', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ workers: 1, concurrency: 2 });
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function refused(body: unknown, path = '/api/v1/jobs') {
    const before = await stack.db.job.count();
    const res = await stack.http<ErrorBody>('POST', path, body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(await stack.db.job.count()).toBe(before);
    return res.body.error.details.map((d) => d.path);
  }

  it('refuses rows × a long pattern over max_output_bytes, naming rows and the field', async () => {
    const paths = await refused(
      testData({
        rows: 10_000_000,
        fields: [
          { name: 'id', type: 'uuid' },
          { name: 'n', type: 'integer' },
          { name: 'blob', type: 'pattern', pattern: '[a-z]{500}' },
        ],
      }),
    );
    expect(paths).toEqual(['input.rows', 'input.fields.2.pattern']);
  });

  it('refuses a pattern whose repeats multiply, naming the field', async () => {
    for (const pattern of [
      '(((ab){100}){100}){100}',
      '(((x{1000})*)*)*',
      '((((((((a*)*)*)*)*)*)*)*)*',
    ]) {
      const paths = await refused(
        testData({ rows: 1, fields: [{ name: 'p', type: 'pattern', pattern }] }),
      );
      expect(paths).toEqual(['input.fields.0.pattern']);
    }
  });

  it('refuses constructs only a backtracking engine runs (backreferences, lookaround)', async () => {
    for (const pattern of ['(a+)+\\1', '(?=(a+)+)b', '(?<!a*)b']) {
      const paths = await refused(
        testData({ rows: 10, fields: [{ name: 'p', type: 'pattern', pattern }] }),
      );
      expect(paths).toEqual(['input.fields.0.pattern']);
    }
  });

  it('names requests.<i> in a batch, and writes nothing', async () => {
    const paths = await refused(
      {
        requests: [
          { generator: 'noop', input: {} },
          testData({
            rows: 5_000_000,
            fields: [{ name: 's', type: 'pattern', pattern: '\\w{1000}' }],
          }),
          testData({ rows: 1, fields: [{ name: 'p', type: 'pattern', pattern: '(a{100}){100}' }] }),
          testData({ rows: 1, fields: [{ name: 'p', type: 'pattern', pattern: '(a)\\1' }] }),
        ],
      },
      '/api/v1/jobs/batch',
    );
    expect(paths).toEqual([
      'requests.1.input.rows',
      'requests.1.input.fields.0.pattern',
      'requests.2.input.fields.0.pattern',
      'requests.3.input.fields.0.pattern',
    ]);
  });

  it('publishes max_work with the other limits', async () => {
    const res = await stack.http<{
      generators: { name: string; limits: Record<string, number> }[];
    }>('GET', '/api/v1/generators');
    for (const generator of res.body.generators) {
      expect(generator.limits.max_work).toBeGreaterThan(0);
    }
  });

  it('accepts a reasonable input, with nested quantifiers matched in linear time, and completes', async () => {
    const res = await stack.http<{ id: string }>(
      'POST',
      '/api/v1/jobs',
      testData({
        mode: 'cases',
        rows: 5,
        fields: [
          { name: 'code', type: 'pattern', pattern: '(a+)+b' },
          { name: 'host', type: 'pattern', pattern: '([a-z]+\\.)+com' },
        ],
      }),
    );
    expect(res.status).toBe(202);
    const rows = await stack.http<{ id: string }>(
      'POST',
      '/api/v1/jobs',
      testData({
        rows: 20_000,
        fields: [
          { name: 'id', type: 'uuid' },
          { name: 'sku', type: 'pattern', pattern: '[A-Z]{3}-\\d{4}(-[a-z]{2})?' },
        ],
      }),
    );
    expect(rows.status).toBe(202);
    for (const id of [res.body.id, rows.body.id]) {
      const done = await waitUntil(
        () => stack.http<{ status: string }>('GET', `/api/v1/jobs/${id}`),
        (r) => r.body.status === 'completed' || r.body.status === 'failed',
        30_000,
        100,
      );
      expect(done.body.status).toBe('completed');
    }
  });
});
