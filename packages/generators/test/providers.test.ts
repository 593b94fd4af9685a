import { afterEach, describe, expect, it } from '@jest/globals';
import { JobCancelledError, UnrecoverableGenerationError, type Logger } from '@genq/core';
import { z } from 'zod';
import {
  createProviderClient,
  ProviderError,
  UnrecoverableProviderError,
  type ProviderClientOptions,
  type RetryInfo,
} from '../src/providers/index.ts';
import { backoffDelayMs, retryAfterMs } from '../src/providers/retry-policy.ts';
import { bodyExcerpt, providerErrorMessage } from '../src/providers/body.ts';
// Imported by path: the package index also loads the database and stack helpers.
import {
  fakeChatCompletion,
  startFakeOpenAi,
  type FakeOpenAi,
  type FakeStep,
} from '../../test-utils/src/fake-openai.ts';

const API_KEY = 'sk-test-0123456789abcdefghijklmnop';

const servers: FakeOpenAi[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function fake(steps: FakeStep[] = []): Promise<FakeOpenAi> {
  const server = await startFakeOpenAi(steps);
  servers.push(server);
  return server;
}

function recordingLogger() {
  const lines: string[] = [];
  const record = (...args: unknown[]) => {
    lines.push(JSON.stringify(args));
  };
  const logger = { info: record, warn: record, error: record, debug: record } as unknown as Logger;
  return { logger, lines };
}

/** A client whose waits are recorded instead of slept. */
function clientFor(server: FakeOpenAi, overrides: Partial<ProviderClientOptions> = {}) {
  const sleeps: number[] = [];
  const retries: RetryInfo[] = [];
  const { logger, lines } = recordingLogger();
  const client = createProviderClient({
    baseUrl: server.baseUrl,
    apiKey: API_KEY,
    timeoutMs: 5_000,
    maxRetries: 3,
    baseDelayMs: 100,
    maxDelayMs: 5_000,
    logger,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...overrides,
  });
  const chat = (extra: Record<string, unknown> = {}) =>
    client.requestJson<Record<string, unknown>>({
      method: 'POST',
      path: '/chat/completions',
      body: { model: 'm', messages: [{ role: 'user', content: 'hi' }] },
      onRetry: (info) => retries.push(info),
      ...extra,
    });
  return { client, chat, sleeps, retries, lines };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

const ok = { body: fakeChatCompletion('hello') };

describe('provider client: transient failures are retried', () => {
  it('retries an HTML 502 page and succeeds', async () => {
    const server = await fake(['html-502', ok]);
    const { chat, sleeps, retries } = clientFor(server);
    const response = await chat();
    expect(response.status).toBe(200);
    expect(response.attempts).toBe(2);
    expect((response.data.choices as unknown[]).length).toBe(1);
    expect(server.requests).toHaveLength(2);
    expect(sleeps).toEqual([100]);
    expect(retries[0]).toMatchObject({ attempt: 1, maxAttempts: 4, kind: 'http', status: 502 });
    expect(retries[0]?.message).toContain('502 Bad Gateway');
  });

  it('gives up after every attempt with the status and a clean excerpt of the page', async () => {
    const server = await fake(['html-502', 'html-502', 'html-502']);
    const { chat, sleeps } = clientFor(server, { maxRetries: 2 });
    const error = await failure(chat());
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).not.toBeInstanceOf(UnrecoverableGenerationError);
    expect(error).toMatchObject({ status: 502, attempts: 3, retryable: true, kind: 'http' });
    expect(error.message).toContain('failed after 3 attempts');
    expect(error.message).toContain('provider answered 502 with text/html');
    expect(error.message).toContain('502 Bad Gateway');
    expect(error.message).toContain('nginx');
    expect(error.message).not.toMatch(/<[a-z]/i);
    expect(server.requests).toHaveLength(3);
    // Exponential backoff (the jitter is pinned to its middle here).
    expect(sleeps).toEqual([100, 200]);
  });

  // A 200 in text/plain comes from a proxy or load balancer answering for a provider that
  // is restarting or gone: transient, so it is retried like a 502.
  it('retries a 200 in text/plain, then names it when it persists', async () => {
    const server = await fake(['text-plain-200', ok]);
    const { chat, retries } = clientFor(server);
    await expect(chat()).resolves.toMatchObject({ attempts: 2 });
    expect(retries[0]?.kind).toBe('unexpected_content_type');

    const always = await fake(['text-plain-200', 'text-plain-200']);
    const error = await failure(clientFor(always, { maxRetries: 1 }).chat());
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.message).toContain('provider answered 200 with text/plain instead of JSON');
    expect(error.message).toContain('upstream connect error');
    expect(error.message).toContain('after 2 attempts');
  });

  it('retries a connection dropped in the middle of the body', async () => {
    const server = await fake(['drop-mid-body', ok]);
    const { chat, retries } = clientFor(server);
    const response = await chat();
    expect(response.attempts).toBe(2);
    expect(retries[0]?.kind).toBe('truncated');
    expect(retries[0]?.message).toContain('cut off');
  });

  it('retries a body that ends early without a socket error (invalid JSON on a 200)', async () => {
    const half = JSON.stringify(fakeChatCompletion('x'.repeat(100))).slice(0, 60);
    const server = await fake([
      { status: 200, headers: { 'content-type': 'application/json' }, body: half },
      ok,
    ]);
    const { chat, retries } = clientFor(server);
    await expect(chat()).resolves.toMatchObject({ attempts: 2 });
    expect(retries[0]?.kind).toBe('truncated');
  });

  it('honours Retry-After on a 429 (seconds)', async () => {
    const server = await fake(['429', ok]);
    const { chat, sleeps, retries } = clientFor(server);
    await expect(chat()).resolves.toMatchObject({ attempts: 2 });
    expect(sleeps).toEqual([1000]);
    expect(retries[0]?.message).toContain('Rate limit exceeded');
  });

  it('honours Retry-After as an HTTP date, capped by maxDelayMs', async () => {
    const inTwoSeconds = new Date(Date.now() + 2_500).toUTCString();
    const server = await fake([
      { action: '429', retryAfter: inTwoSeconds },
      { action: '429', retryAfter: 3600 },
      ok,
    ]);
    const { chat, sleeps } = clientFor(server, { maxDelayMs: 5_000 });
    await expect(chat()).resolves.toMatchObject({ attempts: 3 });
    expect(sleeps[0]).toBeGreaterThan(1_000);
    expect(sleeps[0]).toBeLessThanOrEqual(2_500);
    expect(sleeps[1]).toBe(5_000);
  });

  it('retries a timeout', async () => {
    const server = await fake(['hang', ok]);
    const { chat, retries } = clientFor(server, { timeoutMs: 300 });
    const started = Date.now();
    await expect(chat()).resolves.toMatchObject({ attempts: 2 });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(retries[0]).toMatchObject({ kind: 'timeout' });
    expect(retries[0]?.message).toContain('300 ms');
  });

  it('retries a reset connection, and names a refused one', async () => {
    const server = await fake(['reset', ok]);
    const { chat, retries } = clientFor(server);
    await expect(chat()).resolves.toMatchObject({ attempts: 2 });
    expect(retries[0]?.kind).toBe('network');

    const closed = await fake();
    await closed.close();
    const error = await failure(clientFor(closed, { maxRetries: 1 }).chat());
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'network', attempts: 2 });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('retries a 200 whose JSON is not an object, and an in-body gateway error', async () => {
    const server = await fake([
      { status: 200, body: 'Internal error' as unknown as string, headers: {} },
      { status: 200, headers: { 'content-type': 'application/json' }, body: '"overloaded"' },
      { body: { error: { message: 'Provider returned error', code: 502 } } },
      ok,
    ]);
    const { chat, retries } = clientFor(server);
    await expect(chat({ errorInBody: true })).resolves.toMatchObject({ attempts: 4 });
    expect(retries.map((r) => r.kind)).toEqual(['unexpected_content_type', 'not_object', 'http']);
    expect(retries[1]?.message).toContain('a JSON string instead of an object');
    expect(retries[2]?.message).toContain('Provider returned error');
  });
});

describe('provider client: refusals fail at once', () => {
  it('turns a 400 into an UnrecoverableGenerationError with the provider message', async () => {
    const server = await fake([
      { status: 400, body: { error: { message: 'bad model', code: 400 } } },
      ok,
    ]);
    const { chat, sleeps } = clientFor(server);
    const error = await failure(chat());
    expect(error).toBeInstanceOf(UnrecoverableGenerationError);
    expect(error).toBeInstanceOf(UnrecoverableProviderError);
    expect(error).toMatchObject({ status: 400, attempts: 1, retryable: false });
    expect((error as UnrecoverableProviderError).providerMessage).toBe('bad model');
    expect(error.message).toContain('provider answered 400 Bad Request: bad model');
    expect(server.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it.each([
    [401, { error: 'invalid api key' }, 'invalid api key'],
    [402, { error: { message: 'Insufficient credits', metadata: { raw: 'top up' } } }, 'top up'],
    [404, { message: 'model not found' }, 'model not found'],
    [422, { detail: 'input.prompt is required' }, 'input.prompt is required'],
    [403, '<html><title>Forbidden</title></html>', 'Forbidden'],
  ])('reads the message of a %i in its shape', async (status, body, expected) => {
    const headers: Record<string, string> =
      typeof body === 'string' ? { 'content-type': 'text/html' } : {};
    const server = await fake([{ status, body, headers }]);
    const error = await failure(clientFor(server).chat());
    expect(error).toBeInstanceOf(UnrecoverableGenerationError);
    expect(error.message).toContain(String(status));
    expect(error.message).toContain(expected);
    expect(server.requests).toHaveLength(1);
  });

  it('refuses a success body of the wrong shape without retrying', async () => {
    const server = await fake([{ body: { unexpected: true } }]);
    const schema = z.object({ choices: z.array(z.unknown()) });
    const error = await failure(clientFor(server).chat({ schema }));
    expect(error).toBeInstanceOf(UnrecoverableProviderError);
    expect(error).toMatchObject({ kind: 'invalid_response' });
    expect(error.message).toContain('choices');
  });
});

describe('provider client: cancellation', () => {
  it('stops at once when the job is cancelled during a backoff wait', async () => {
    const server = await fake(['html-502', 'html-502', 'html-502']);
    const controller = new AbortController();
    const { logger } = recordingLogger();
    const client = createProviderClient({
      baseUrl: server.baseUrl,
      timeoutMs: 5_000,
      maxRetries: 5,
      baseDelayMs: 20_000,
      maxDelayMs: 60_000,
      logger,
    });
    const reason = new JobCancelledError();
    const call = client.requestJson({
      path: '/models',
      signal: controller.signal,
      onRetry: () => setTimeout(() => controller.abort(reason), 30),
    });
    const started = Date.now();
    await expect(call).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(server.requests).toHaveLength(1);
  });

  it('stops at once when the job is cancelled while waiting for an answer', async () => {
    const server = await fake(['hang', ok]);
    const controller = new AbortController();
    const { client } = clientFor(server, { timeoutMs: 30_000 });
    const reason = new JobCancelledError();
    setTimeout(() => controller.abort(reason), 100);
    const started = Date.now();
    await expect(client.requestJson({ path: '/models', signal: controller.signal })).rejects.toBe(
      reason,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(server.requests).toHaveLength(1);
  });

  it('makes no request for a job already cancelled', async () => {
    const server = await fake([ok]);
    const reason = new JobCancelledError();
    const { client } = clientFor(server);
    await expect(
      client.requestJson({ path: '/models', signal: AbortSignal.abort(reason) }),
    ).rejects.toBe(reason);
    expect(server.requests).toHaveLength(0);
  });
});

describe('provider client: credentials and bytes', () => {
  it('sends the key to the provider only, and never logs or echoes it', async () => {
    const server = await fake([
      { status: 500, body: { error: { message: `upstream rejected Bearer ${API_KEY}` } } },
      ok,
    ]);
    const cdn = await fake([{ headers: { 'content-type': 'image/png' }, body: 'PNGDATA' }]);
    const { client, chat, lines, retries } = clientFor(server, {
      headers: { 'x-title': 'genq' },
    });
    await chat();
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(server.requests[0]?.headers['x-title']).toBe('genq');
    expect(lines.join('\n')).not.toContain(API_KEY);
    expect(lines.join('\n')).toContain('retrying');
    expect(retries[0]?.message).not.toContain(API_KEY);
    expect(retries[0]?.message).toContain('[redacted]');

    const image = await client.requestBytes({ path: `${cdn.url}/img.png`, accept: /^image\// });
    expect(Buffer.from(image.data).toString()).toBe('PNGDATA');
    expect(image.contentType).toBe('image/png');
    expect(cdn.requests[0]?.headers.authorization).toBeUndefined();
    expect(cdn.requests[0]?.headers['x-title']).toBeUndefined();
  });

  it('downloads bytes, retrying an HTML page where an image was expected', async () => {
    const server = await fake([
      { headers: { 'content-type': 'text/html' }, body: '<h1>Please wait</h1>' },
      { headers: { 'content-type': 'image/png' }, body: 'PNG' },
    ]);
    const { client, sleeps } = clientFor(server);
    const response = await client.requestBytes({ path: '/files/1', accept: /^image\// });
    expect(response.attempts).toBe(2);
    expect(sleeps).toHaveLength(1);
    expect(Buffer.from(response.data).toString()).toBe('PNG');
  });

  it('refuses a body over the size cap', async () => {
    const server = await fake([
      { headers: { 'content-type': 'application/octet-stream' }, body: 'x'.repeat(5000) },
    ]);
    const { client } = clientFor(server);
    const error = await failure(client.requestBytes({ path: '/big', maxBytes: 1000 }));
    expect(error).toBeInstanceOf(UnrecoverableProviderError);
    expect(error).toMatchObject({ kind: 'too_large' });
  });
});

describe('provider client: policy helpers', () => {
  it('backs off exponentially with jitter, within the cap', () => {
    expect(backoffDelayMs(1, 1000, 30_000, () => 0.5)).toBe(1000);
    expect(backoffDelayMs(3, 1000, 30_000, () => 0.5)).toBe(4000);
    expect(backoffDelayMs(1, 1000, 30_000, () => 0)).toBe(750);
    expect(backoffDelayMs(1, 1000, 30_000, () => 1)).toBe(1250);
    expect(backoffDelayMs(10, 1000, 30_000, () => 1)).toBe(30_000);
  });

  it('reads Retry-After in seconds, as a date, and retry-after-ms', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }), now)).toBe(2000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:05 GMT' }), now)).toBe(
      5000,
    );
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250' }), now)).toBe(250);
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
  });

  it('makes excerpts short, readable and free of secrets and control characters', () => {
    const html = `<html><head><style>p{}</style><script>x()</script><title>Bad gateway</title></head><body>${'z'.repeat(500)}</body></html>`;
    const text = bodyExcerpt(html, 'text/html');
    expect(text.startsWith('Bad gateway')).toBe(true);
    expect(text.length).toBeLessThanOrEqual(201);
    expect(bodyExcerpt('a\u0000b\u001b[31mc\u202e', 'text/plain')).toBe('a b [31mc');
    expect(bodyExcerpt('key sk-abcdefghijklmnopqrstuv here', 'text/plain')).toBe(
      'key [redacted] here',
    );
    expect(providerErrorMessage({ error: { code: 'rate_limited' } })).toBe('rate_limited');
    expect(providerErrorMessage([1, 2])).toBeUndefined();
  });
});
