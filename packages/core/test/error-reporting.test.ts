import { describe, expect, it } from '@jest/globals';
import { initErrorReporting, noopErrorReporter, scrubEvent } from '../src/error-reporting.ts';

const KEY = `genq_${'A1b2C3d4'.repeat(5)}xyz`;

describe('error reporting', () => {
  it('is a no-op without a DSN: nothing is loaded, nothing is sent', async () => {
    for (const dsn of [undefined, '']) {
      const reporter = await initErrorReporting({ dsn, service: 'genq-test' });
      expect(reporter).toBe(noopErrorReporter);
      expect(reporter.enabled).toBe(false);
      expect(() =>
        reporter.captureException(new Error('boom'), { tags: { jobId: 'x' } }),
      ).not.toThrow();
      await expect(reporter.flush()).resolves.toBe(true);
    }
  });

  it('scrubs credentials from an event before it leaves', () => {
    const event = scrubEvent({
      message: `request failed for ${KEY}`,
      exception: { values: [{ type: 'Error', value: `Bearer ${KEY} refused` }] },
      request: {
        url: 'http://127.0.0.1/api/v1/jobs',
        headers: {
          Authorization: `Bearer ${KEY}`,
          'X-API-Key': KEY,
          cookie: 'session=1',
          'Sec-WebSocket-Protocol': KEY,
          'content-type': 'application/json',
        },
        cookies: { session: '1' },
        data: { input: { secret: 'x' } },
      },
      breadcrumbs: [{ message: `GET /api/v1/jobs?key=${KEY}` }],
      extra: { apiKey: KEY, nested: { token: 'abc', note: `key ${KEY}` } },
    });
    const text = JSON.stringify(event);
    expect(text).not.toContain(KEY);
    expect(text).not.toContain('session');
    expect(event.request.headers).toEqual({ 'content-type': 'application/json' });
    expect(event.request).not.toHaveProperty('data');
    expect(event.extra).toEqual({
      apiKey: '[redacted]',
      nested: { token: '[redacted]', note: 'key genq_[redacted]' },
    });
    expect(event.exception.values[0]!.value).toBe('Bearer genq_[redacted] refused');
  });
});
