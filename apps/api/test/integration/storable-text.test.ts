import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { requestJson, startTestStack, type TestStack } from '@genq/test-utils';

interface ErrorBody {
  error: { code: string; message: string; details: { path: string; message: string }[] };
}

/** Strings PostgreSQL cannot store; JSON.stringify sends them as `\u0000` / `\ud800` escapes. */
const BAD = {
  nul: 'a\u0000b',
  'lone high surrogate': 'x\ud800y',
  'lone low surrogate': '\udc00',
  'high surrogate at the end': 'abc\udbff',
};

const enumJob = (value: string) => ({
  generator: 'test-data',
  input: {
    table: 'customers',
    rows: 5,
    format: 'csv',
    fields: [
      { name: 'id', type: 'uuid' },
      { name: 'plan', type: 'enum', values: ['free', value, 'team'] },
    ],
  },
});

describe('text PostgreSQL cannot store is refused at the edge', () => {
  let stack: TestStack;
  let admin: Record<string, string>;

  beforeAll(async () => {
    stack = await startTestStack({ workers: 0 });
    admin = { authorization: `Bearer ${stack.adminKey}` };
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** A 400 `validation_failed` whose details name `path`, and nothing was written. */
  function expectRefused(res: { status: number; body: unknown }, path: string): void {
    expect(res.status).toBe(400);
    const { error } = res.body as ErrorBody;
    expect(error.code).toBe('validation_failed');
    expect(error.details.map((d) => d.path)).toContain(path);
    expect(error.details.find((d) => d.path === path)!.message).toMatch(
      /NUL character|lone UTF-16 surrogate/,
    );
  }

  it.each(Object.entries(BAD))('job submission: %s in a nested enum value', async (_kind, bad) => {
    expectRefused(
      await stack.http('POST', '/api/v1/jobs', enumJob(bad)),
      'input.fields.1.values.1',
    );
  });

  it.each(Object.entries(BAD))('job submission: %s in a prompt', async (_kind, bad) => {
    expectRefused(
      await stack.http('POST', '/api/v1/jobs', {
        generator: 'llm',
        input: { prompt: `write a haiku ${bad}` },
      }),
      'input.prompt',
    );
  });

  it('job submission: an object key, named with the character escaped', async () => {
    const res = await stack.http('POST', '/api/v1/jobs', {
      generator: 'noop',
      input: { ['k\u0000ey']: 1 },
    });
    expectRefused(res, 'input.k\\u0000ey');
    const surrogate = await stack.http('POST', '/api/v1/jobs', {
      generator: 'noop',
      input: { nested: { ['\ud83d']: true } },
    });
    expectRefused(surrogate, 'input.nested.\\ud83d');
  });

  it('job submission: the other fields (generator, target, webhook)', async () => {
    expectRefused(
      await stack.http('POST', '/api/v1/jobs', { generator: 'no\u0000op' }),
      'generator',
    );
    expectRefused(
      await stack.http('POST', '/api/v1/jobs', { generator: 'noop', target: 'a\ud800' }),
      'target',
    );
    expectRefused(
      await stack.http('POST', '/api/v1/jobs', {
        generator: 'noop',
        webhook: { url: 'https://example.com/\u0000' },
      }),
      'webhook.url',
    );
  });

  it('a batch: the path names the item', async () => {
    const ok = { generator: 'noop', input: {} };
    const res = await stack.http('POST', '/api/v1/jobs/batch', {
      requests: [ok, ok, ok, { generator: 'llm', input: { prompt: 'hi \udfff' } }, ok],
    });
    expectRefused(res, 'requests.3.input.prompt');
    expectRefused(
      await stack.http('POST', '/api/v1/jobs/batch', {
        requests: [ok, enumJob('\u0000')],
      }),
      'requests.1.input.fields.1.values.1',
    );
    expectRefused(
      await stack.http('POST', '/api/v1/jobs/batch', {
        requests: [ok],
        webhook: { url: 'https://example.com/\ud800' },
      }),
      'webhook.url',
    );
  });

  it('admin routes: client name, key name, client update', async () => {
    const post = (path: string, body: unknown, method = 'POST') =>
      requestJson(method, `${stack.url}${path}`, body, admin);
    expectRefused(await post('/api/v1/admin/clients', { name: 'evil\u0000' }), 'name');
    expectRefused(
      await post(`/api/v1/admin/clients/${stack.client.clientId}/keys`, { name: 'laptop \ud800' }),
      'name',
    );
    expectRefused(
      await post(
        `/api/v1/admin/clients/${stack.client.clientId}`,
        { tier: 'free', ['x\u0000']: 1 },
        'PATCH',
      ),
      'x\\u0000',
    );
    // A key name PostgreSQL can store still works (the rule refuses nothing else).
    const named = await post(`/api/v1/admin/clients/${stack.client.clientId}/keys`, {
      name: 'laptop ✓ 😀 "quoted" \\ back\tslash',
    });
    expect(named.status).toBe(201);
  });

  it('query strings', async () => {
    expectRefused(await stack.http('GET', '/api/v1/jobs?cursor=%00'), 'query.cursor');
    expectRefused(await stack.http('GET', '/api/v1/jobs?status=queued%00'), 'query.status');
    const keys = await requestJson(
      'GET',
      `${stack.url}/api/v1/admin/keys?client_id=%00`,
      undefined,
      admin,
    );
    expectRefused(keys, 'query.client_id');
  });

  it('wrote nothing, and well-formed text (pairs, emoji, escapes) is accepted', async () => {
    expect(await stack.db.job.count()).toBe(0);
    const ok = await stack.http('POST', '/api/v1/jobs', {
      generator: 'llm',
      input: { prompt: 'snowman ☃, pile 💩 (a surrogate pair), \\u0000 as text, tab\t' },
    });
    expect(ok.status).toBe(202);
    const clients = await requestJson<{ clients: unknown[] }>(
      'GET',
      `${stack.url}/api/v1/admin/clients`,
      undefined,
      admin,
    );
    expect(clients.body.clients).toHaveLength(1);
  });
});
