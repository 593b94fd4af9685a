import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import WebSocket from 'ws';
import {
  connectWebSocket,
  requestJson,
  startTestStack,
  waitUntil,
  type TestClient,
  type TestStack,
} from '@genq/test-utils';

/** Resolves with the HTTP status of a refused WebSocket upgrade (or 101 when accepted). */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => {
      resolve(101);
      socket.close();
    });
    socket.once('error', reject);
  });
}

describe('API keys and ownership', () => {
  let stack: TestStack;
  let other: TestClient;
  let free: TestClient;
  let jobId: string;

  beforeAll(async () => {
    stack = await startTestStack({ workers: 1 });
    other = await stack.createClient('standard');
    free = await stack.createClient('free');
    const res = await stack.http('POST', '/api/v1/jobs', { generator: 'noop', input: {} });
    jobId = (res.body as { id: string }).id;
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('answers 401 without a key or with a bad one, on every client route', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/jobs'],
      ['POST', '/api/v1/jobs'],
      ['GET', `/api/v1/jobs/${jobId}`],
      ['DELETE', `/api/v1/jobs/${jobId}`],
      ['GET', `/api/v1/jobs/${jobId}/result`],
      ['POST', '/api/v1/jobs/batch'],
      ['GET', '/api/v1/queue/stats'],
    ] as const) {
      const none = await requestJson(
        method,
        `${stack.url}${path}`,
        method === 'POST' ? {} : undefined,
      );
      expect(none.status).toBe(401);
      expect(none.body).toMatchObject({ error: { code: 'unauthorized' } });
      const bad = await requestJson(method, `${stack.url}${path}`, undefined, {
        authorization: `Bearer genq_${'x'.repeat(43)}`,
      });
      expect(bad.status).toBe(401);
    }
    expect((await requestJson('GET', `${stack.url}/api/v1/generators`)).status).toBe(200);
    expect((await requestJson('GET', `${stack.url}/health`)).status).toBe(200);
  });

  it("shows another client's job as 404 everywhere", async () => {
    for (const [method, path] of [
      ['GET', `/api/v1/jobs/${jobId}`],
      ['DELETE', `/api/v1/jobs/${jobId}`],
      ['GET', `/api/v1/jobs/${jobId}/result`],
    ] as const) {
      const res = await stack.http(method, path, undefined, other);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error: { code: 'not_found' } });
    }
    const list = await stack.http<{ jobs: unknown[] }>('GET', '/api/v1/jobs', undefined, other);
    expect(list.body.jobs).toEqual([]);

    const ws = await connectWebSocket(`${stack.wsUrl}/ws/${jobId}`, other.headers);
    const refused = await ws.waitFor((m) => m.type === 'error');
    await ws.close();
    expect(refused).toMatchObject({ error: { code: 'not_found' } });
  });

  it('authenticates WebSockets at the upgrade: 401 before the handshake', async () => {
    expect(await upgradeStatus(`${stack.wsUrl}/ws`)).toBe(401);
    expect(
      await upgradeStatus(`${stack.wsUrl}/ws/${jobId}`, { authorization: 'Bearer nope' }),
    ).toBe(401);
    expect(await upgradeStatus(`${stack.wsUrl}/ws`, stack.authHeaders)).toBe(101);
  });

  it('accepts the key as a WebSocket subprotocol, as browsers send it', async () => {
    const socket = new WebSocket(`${stack.wsUrl}/ws/${jobId}`, [
      'genq',
      `genq.key.${stack.apiKey}`,
    ]);
    const first = await new Promise<Record<string, unknown>>((resolve, reject) => {
      socket.once('message', (data) =>
        resolve(JSON.parse(data.toString()) as Record<string, unknown>),
      );
      socket.once('error', reject);
    });
    expect(socket.protocol).toBe('genq');
    socket.close();
    expect(first).toMatchObject({ type: 'snapshot', job_id: jobId });
  });

  it('gives each tier its default priority and refuses a raise above it', async () => {
    const mine = await stack.http('POST', '/api/v1/jobs', { generator: 'noop', input: {} }, free);
    expect(mine.status).toBe(202);
    expect(mine.body.priority).toBe('LOW');
    const raised = await stack.http(
      'POST',
      '/api/v1/jobs',
      { generator: 'noop', input: {}, priority: 'HIGH' },
      free,
    );
    expect(raised.status).toBe(403);
    expect(raised.body).toMatchObject({
      error: { code: 'forbidden', details: [{ path: 'priority' }] },
    });
    const premium = await stack.http('POST', '/api/v1/jobs', {
      generator: 'noop',
      input: {},
      priority: 'LOW',
    });
    expect(premium.body.priority).toBe('LOW');
    const standard = await stack.http(
      'POST',
      '/api/v1/jobs',
      { generator: 'noop', input: {} },
      other,
    );
    expect(standard.body.priority).toBe('NORMAL');
  });

  it('revokes a key: its requests get 401 and its open sockets are closed', async () => {
    const victim = await stack.createClient('standard');
    const ws = await connectWebSocket(`${stack.wsUrl}/ws`, victim.headers);
    const closed = new Promise<number>((resolve) =>
      ws.socket.once('close', (code) => resolve(code)),
    );
    expect((await stack.http('GET', '/api/v1/jobs', undefined, victim)).status).toBe(200);

    const revoke = await requestJson(
      'DELETE',
      `${stack.url}/api/v1/admin/keys/${victim.keyId}`,
      undefined,
      {
        authorization: `Bearer ${stack.adminKey}`,
      },
    );
    expect(revoke.status).toBe(200);
    expect(revoke.body.revoked_at).toEqual(expect.any(String));
    expect(await closed).toBe(4401);
    expect((await stack.http('GET', '/api/v1/jobs', undefined, victim)).status).toBe(401);
    expect(await upgradeStatus(`${stack.wsUrl}/ws`, victim.headers)).toBe(401);
  });

  it('keeps admin routes behind the admin key and never shows a stored key again', async () => {
    expect((await stack.http('GET', '/api/v1/admin/clients')).status).toBe(403);
    expect((await requestJson('GET', `${stack.url}/api/v1/admin/clients`)).status).toBe(401);
    const admin = { authorization: `Bearer ${stack.adminKey}` };
    const keys = await requestJson<{ keys: Record<string, unknown>[] }>(
      'GET',
      `${stack.url}/api/v1/admin/keys?client_id=${stack.client.clientId}`,
      undefined,
      admin,
    );
    expect(keys.status).toBe(200);
    expect(keys.body.keys).toHaveLength(1);
    expect(keys.body.keys[0]).not.toHaveProperty('key');
    expect(keys.body.keys[0]).not.toHaveProperty('hash');
    expect(stack.apiKey.startsWith(keys.body.keys[0]!.prefix as string)).toBe(true);
    expect(stack.apiKey).toMatch(/^genq_[A-Za-z0-9_-]{43}$/);
    const duplicate = await requestJson(
      'POST',
      `${stack.url}/api/v1/admin/clients`,
      { name: 'twice', tier: 'free' },
      admin,
    );
    expect(duplicate.status).toBe(201);
    const again = await requestJson(
      'POST',
      `${stack.url}/api/v1/admin/clients`,
      { name: 'twice', tier: 'free' },
      admin,
    );
    expect(again.status).toBe(409);
  });

  it('lets only the owner see its job complete', async () => {
    await waitUntil(
      () => stack.http('GET', `/api/v1/jobs/${jobId}`),
      (res) => res.body.status === 'completed',
    );
  });
});
