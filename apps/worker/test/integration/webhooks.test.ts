import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  classifyAddress,
  parseWebhookAllowlist,
  resolveWebhookTarget,
  WebhookTargetError,
  type WebhookLookup,
} from '@genq/queue';
import { startTestStack, waitUntil, type TestStack } from '@genq/test-utils';
import { postWebhook } from '../../src/webhooks/http-post.ts';

// Exactly the verification docs/webhooks.md gives users.
const TOLERANCE_SECONDS = 300;

function verifyGenqSignature(
  secret: string,
  header: string | undefined,
  rawBody: Buffer | string,
  now = Date.now(),
): boolean {
  let timestamp = Number.NaN;
  const signatures: string[] = [];
  for (const part of String(header ?? '').split(',')) {
    const [key, value] = part.trim().split('=');
    if (key === 't') timestamp = Number(value);
    else if (key === 'v1' && value) signatures.push(value);
  }
  if (!Number.isSafeInteger(timestamp)) return false;
  if (Math.abs(now / 1000 - timestamp) > TOLERANCE_SECONDS) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
  return signatures.some((hex) => {
    const given = Buffer.from(hex, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

interface Delivery {
  path: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  body: {
    id: string;
    type: string;
    created_at: string;
    data: {
      id: string;
      status: string;
      progress: number;
      result: { url: string } | null;
      batch_id: string | null;
    };
  };
  status: number;
}

interface Receiver {
  url: string;
  received: Delivery[];
  forJob(jobId: string): Delivery[];
  close(): Promise<void>;
}

/** A webhook receiver on 127.0.0.1 whose answer depends on the path. */
async function startReceiver(): Promise<Receiver> {
  const received: Delivery[] = [];
  const perDelivery = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const path = req.url ?? '/';
      const deliveryId = String(req.headers['genq-delivery']);
      const seen = (perDelivery.get(deliveryId) ?? 0) + 1;
      perDelivery.set(deliveryId, seen);
      let status = 200;
      if (path === '/flaky' && seen <= 2) status = 500;
      if (path === '/redirect') status = 302;
      let body: Delivery['body'];
      try {
        body = JSON.parse(raw.toString('utf8')) as Delivery['body'];
      } catch {
        body = { id: '', type: '', created_at: '', data: {} as Delivery['body']['data'] };
      }
      received.push({ path, headers: req.headers, raw, body, status });
      if (status === 302) res.setHeader('Location', '/redirected');
      res.statusCode = status;
      res.end(status === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    forJob: (jobId) => received.filter((d) => d.body.data?.id === jobId),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface JobBody {
  id: string;
  status: string;
  webhook: {
    url: string;
    events: string[];
    last_delivery: {
      id: string;
      event: string;
      status: string;
      http_status: number | null;
      attempts: number;
      at: string;
      error: string | null;
    } | null;
  } | null;
}

interface ErrorBody {
  error: { code: string; details: { path: string; message: string }[] };
}

describe('webhooks: delivery (receiver on 127.0.0.1, allowlisted)', () => {
  let stack: TestStack;
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
    stack = await startTestStack({ webhookAllowlist: ['127.0.0.1'], concurrency: 2 });
  });
  afterAll(async () => {
    await stack?.close();
    await receiver?.close();
  });

  const submit = async (body: Record<string, unknown>): Promise<JobBody> => {
    const res = await stack.http<JobBody>('POST', '/api/v1/jobs', body);
    expect(res.status).toBe(202);
    return res.body;
  };
  const view = async (id: string) => (await stack.http<JobBody>('GET', `/api/v1/jobs/${id}`)).body;

  it('delivers signed start and completed events for a noop job', async () => {
    const job = await submit({
      generator: 'noop',
      input: { sleep_ms: 100 },
      webhook: { url: `${receiver.url}/ok` },
    });
    expect(job.webhook).toEqual({
      url: `${receiver.url}/ok`,
      events: ['start', 'completed', 'failed', 'cancelled'],
      last_delivery: null,
    });

    const deliveries = await waitUntil(
      async () => receiver.forJob(job.id),
      (list) => list.length >= 2,
    );
    expect(deliveries.map((d) => d.body.type).sort()).toEqual(['job.completed', 'job.started']);
    for (const delivery of deliveries) {
      expect(
        verifyGenqSignature(
          stack.client.webhookSecret,
          delivery.headers['genq-signature'] as string,
          delivery.raw,
        ),
      ).toBe(true);
      expect(delivery.headers['content-type']).toBe('application/json');
      expect(delivery.headers['user-agent']).toBe('genq-webhooks/test');
      expect(delivery.headers['genq-event']).toBe(delivery.body.type);
      expect(delivery.headers['genq-delivery']).toBe(delivery.body.id);
      expect(delivery.headers['genq-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    }
    // A changed body, another secret or an old timestamp does not verify.
    const completed = deliveries.find((d) => d.body.type === 'job.completed')!;
    const header = completed.headers['genq-signature'] as string;
    const tampered = Buffer.from(completed.raw.toString('utf8').replace('"completed"', '"failed"'));
    expect(verifyGenqSignature(stack.client.webhookSecret, header, tampered)).toBe(false);
    expect(verifyGenqSignature('whsec_other', header, completed.raw)).toBe(false);
    expect(
      verifyGenqSignature(stack.client.webhookSecret, header, completed.raw, Date.now() + 600_000),
    ).toBe(false);

    expect(completed.body.data).toMatchObject({
      id: job.id,
      status: 'completed',
      progress: 100,
      result: { url: `/api/v1/jobs/${job.id}/result` },
      batch_id: null,
    });
    const started = deliveries.find((d) => d.body.type === 'job.started')!;
    expect(started.body.data.status).toBe('running');
    expect(Date.parse(started.body.created_at)).toBeLessThanOrEqual(
      Date.parse(completed.body.created_at),
    );

    const done = await waitUntil(
      () => view(job.id),
      (j) => j.webhook?.last_delivery?.event === 'completed',
    );
    expect(done.webhook?.last_delivery).toMatchObject({
      id: completed.body.id,
      status: 'delivered',
      http_status: 200,
      attempts: 1,
      error: null,
    });
    // No progress events unless asked for.
    expect(receiver.forJob(job.id)).toHaveLength(2);
  });

  it('retries a receiver answering 500 until it answers 200; the job shows attempts 3', async () => {
    const job = await submit({
      generator: 'noop',
      input: {},
      webhook: { url: `${receiver.url}/flaky`, events: ['completed'] },
    });
    const done = await waitUntil(
      () => view(job.id),
      (j) => j.webhook?.last_delivery?.status === 'delivered',
    );
    expect(done.webhook?.last_delivery).toMatchObject({
      event: 'completed',
      status: 'delivered',
      http_status: 200,
      attempts: 3,
      error: null,
    });
    const attempts = receiver.forJob(job.id);
    expect(attempts.map((d) => d.status)).toEqual([500, 500, 200]);
    // One delivery id across its retries, each attempt signed afresh.
    expect(new Set(attempts.map((d) => d.headers['genq-delivery'])).size).toBe(1);
    for (const attempt of attempts) {
      expect(
        verifyGenqSignature(
          stack.client.webhookSecret,
          attempt.headers['genq-signature'] as string,
          attempt.raw,
        ),
      ).toBe(true);
    }
  });

  it('does not follow a redirect: a 302 is a failed delivery, not retried', async () => {
    const job = await submit({
      generator: 'noop',
      input: {},
      webhook: { url: `${receiver.url}/redirect`, events: ['completed'] },
    });
    const done = await waitUntil(
      () => view(job.id),
      (j) => j.webhook?.last_delivery?.status === 'failed',
    );
    expect(done.webhook?.last_delivery).toMatchObject({
      event: 'completed',
      status: 'failed',
      http_status: 302,
      attempts: 1,
    });
    expect(done.webhook?.last_delivery?.error).toMatch(/redirect/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.forJob(job.id).map((d) => d.path)).toEqual(['/redirect']);
    expect(receiver.received.some((d) => d.path === '/redirected')).toBe(false);
  });

  it('throttles progress deliveries to one per second per job', async () => {
    const job = await submit({
      generator: 'noop',
      input: { sleep_ms: 2_500, steps: 50 },
      webhook: { url: `${receiver.url}/ok`, events: ['progress', 'completed'] },
    });
    await waitUntil(
      async () => receiver.forJob(job.id),
      (list) => list.some((d) => d.body.type === 'job.completed'),
    );
    const progress = receiver
      .forJob(job.id)
      .filter((d) => d.body.type === 'job.progress')
      .map((d) => Date.parse(d.body.created_at))
      .sort((a, b) => a - b);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < progress.length; i += 1) {
      expect(progress[i]! - progress[i - 1]!).toBeGreaterThanOrEqual(1_000);
    }
  });

  it('sends cancelled for a job cancelled while it waits (by the API)', async () => {
    const blockers = await Promise.all(
      [1, 2].map(() => submit({ generator: 'noop', input: { sleep_ms: 20_000, steps: 20 } })),
    );
    await waitUntil(
      () => Promise.all(blockers.map((b) => view(b.id))),
      (jobs) => jobs.every((j) => j.status === 'running'),
    );
    const job = await submit({
      generator: 'noop',
      input: {},
      webhook: { url: `${receiver.url}/ok`, events: ['cancelled'] },
    });
    expect((await stack.http('DELETE', `/api/v1/jobs/${job.id}`)).status).toBe(200);
    const [delivery] = await waitUntil(
      async () => receiver.forJob(job.id),
      (list) => list.length >= 1,
    );
    expect(delivery!.body.type).toBe('job.cancelled');
    expect(delivery!.body.data.status).toBe('cancelled');
    await Promise.all(blockers.map((b) => stack.http('DELETE', `/api/v1/jobs/${b.id}`)));
  });

  it('refuses at delivery a URL that became unsafe: a failed delivery, not retried', async () => {
    const job = await submit({
      generator: 'noop',
      input: { sleep_ms: 1_500 },
      webhook: { url: `${receiver.url}/ok`, events: ['completed'] },
    });
    // As if the host's DNS now answered with a metadata address.
    await stack.db.job.update({
      where: { id: job.id },
      data: { webhook: { url: 'https://169.254.169.254/latest', events: ['completed'] } },
    });
    const done = await waitUntil(
      () => view(job.id),
      (j) => j.webhook?.last_delivery?.status === 'failed',
    );
    expect(done.status).toBe('completed');
    expect(done.webhook?.last_delivery).toMatchObject({
      event: 'completed',
      http_status: null,
      attempts: 1,
    });
    expect(done.webhook?.last_delivery?.error).toMatch(/refused: 169\.254\.169\.254.*metadata/);
  });

  it('gives a batch webhook to every job that has none, and keeps a job its own', async () => {
    const res = await stack.http<{ job_ids: string[] }>('POST', '/api/v1/jobs/batch', {
      webhook: { url: `${receiver.url}/ok`, events: ['completed'] },
      requests: [
        { generator: 'noop', input: {} },
        { generator: 'noop', input: {}, webhook: { url: `${receiver.url}/own` } },
      ],
    });
    expect(res.status).toBe(202);
    const [first, second] = res.body.job_ids as [string, string];
    expect((await view(first)).webhook).toMatchObject({
      url: `${receiver.url}/ok`,
      events: ['completed'],
    });
    expect((await view(second)).webhook?.url).toBe(`${receiver.url}/own`);
    const delivered = await waitUntil(
      async () => receiver.forJob(first),
      (list) => list.length >= 1,
    );
    expect(delivered[0]!.body.data.batch_id).toEqual(expect.any(String));
  });

  it('connects to the checked address, never to a second DNS answer', async () => {
    // "rebind.invalid" does not resolve; the request still reaches the pinned address.
    const { status } = await postWebhook({
      url: new URL(`${receiver.url.replace('127.0.0.1', 'rebind.invalid')}/pinned`),
      addresses: [{ address: '127.0.0.1', family: 4 }],
      headers: { 'Content-Type': 'application/json', 'Genq-Delivery': 'pinned' },
      body: '{"data":{"id":"pinned"}}',
      timeoutMs: 2_000,
    });
    expect(status).toBe(200);
    const [hit] = receiver.forJob('pinned');
    expect(hit?.headers.host).toMatch(/^rebind\.invalid:\d+$/);
  });
});

describe('webhooks: URLs refused at submission (no allowlist)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ workers: 0 });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const refused = async (url: string, events?: string[]) => {
    const res = await stack.http<ErrorBody>('POST', '/api/v1/jobs', {
      generator: 'noop',
      input: {},
      webhook: events ? { url, events } : { url },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.map((d) => d.path)).toEqual(['webhook.url']);
    return res.body.error.details[0]!.message;
  };

  it('refuses loopback, link-local / metadata and IPv4-mapped IPv6 addresses', async () => {
    expect(await refused('http://127.0.0.1:8080/hook')).toMatch(/https/);
    expect(await refused('https://127.0.0.1/hook')).toMatch(/127\.0\.0\.1 \(loopback address\)/);
    expect(await refused('http://169.254.169.254/')).toMatch(/https/);
    expect(await refused('https://169.254.169.254/')).toMatch(/metadata/);
    expect(await refused('http://[::ffff:127.0.0.1]/')).toMatch(/https/);
    expect(await refused('https://[::ffff:127.0.0.1]/')).toMatch(/127\.0\.0\.1 \(loopback/);
    expect(await refused('https://[::ffff:a9fe:a9fe]/')).toMatch(/169\.254\.169\.254/);
    expect(await refused('https://[::1]/')).toMatch(/loopback/);
    expect(await refused('https://[fd00::1]/')).toMatch(/unique-local/);
    expect(await refused('https://10.0.0.8/')).toMatch(/private/);
    expect(await refused('https://100.64.0.1/')).toMatch(/carrier-grade NAT/);
    expect(await refused('https://0.0.0.0/')).toMatch(/unspecified/);
    expect(await refused('https://2130706433/')).toMatch(/127\.0\.0\.1/);
    expect(await refused('https://localhost/')).toMatch(/host localhost resolves to .*loopback/);
  });

  it('refuses credentials, other schemes, long URLs and unknown events', async () => {
    expect(await refused('https://user:secret@example.com/')).toMatch(/credentials/);
    expect(await refused('ftp://example.com/')).toMatch(/https/);
    expect(await refused('not a url')).toMatch(/absolute URL/);
    expect(await refused(`https://example.com/${'a'.repeat(2100)}`)).toMatch(/2048/);
    const res = await stack.http<ErrorBody>('POST', '/api/v1/jobs', {
      generator: 'noop',
      input: {},
      webhook: { url: 'https://127.0.0.1/', events: ['finished'], secret: 'x' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d) => d.path).sort()).toEqual([
      'webhook.events.0',
      'webhook.secret',
    ]);
  });

  it('names the item of a batch, and the batch webhook once', async () => {
    const res = await stack.http<ErrorBody>('POST', '/api/v1/jobs/batch', {
      webhook: { url: 'https://169.254.169.254/' },
      requests: [
        { generator: 'noop', input: {} },
        { generator: 'noop', input: {}, webhook: { url: 'https://[::ffff:127.0.0.1]/' } },
        { generator: 'noop', input: {} },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d) => d.path).sort()).toEqual([
      'requests.1.webhook.url',
      'webhook.url',
    ]);
    expect(await stack.db.job.count()).toBe(0);
  });
});

describe('webhooks: address classification', () => {
  it.each([
    ['8.8.8.8', 'unicast', true],
    ['2606:4700:4700::1111', 'unicast', true],
    ['127.0.0.1', 'loopback', false],
    ['127.255.0.9', 'loopback', false],
    ['10.1.2.3', 'private', false],
    ['172.16.5.4', 'private', false],
    ['192.168.0.1', 'private', false],
    ['169.254.1.1', 'linkLocal', false],
    ['169.254.169.254', 'metadata', false],
    ['168.63.129.16', 'metadata', false],
    ['100.64.0.1', 'carrierGradeNat', false],
    ['100.100.100.200', 'metadata', false],
    ['0.0.0.0', 'unspecified', false],
    ['224.0.0.251', 'multicast', false],
    ['255.255.255.255', 'broadcast', false],
    ['192.0.2.1', 'reserved', false],
    ['::1', 'loopback', false],
    ['::', 'unspecified', false],
    ['fe80::1', 'linkLocal', false],
    ['fc00::1', 'uniqueLocal', false],
    ['fd00:ec2::254', 'metadata', false],
    ['ff02::1', 'multicast', false],
    ['::ffff:127.0.0.1', 'loopback', false],
    ['::ffff:10.0.0.1', 'private', false],
    ['[::ffff:a9fe:a9fe]', 'metadata', false],
    ['::127.0.0.1', 'loopback', false],
    ['::7f00:1', 'reserved', false],
    ['64:ff9b::7f00:1', 'rfc6052', false],
    ['2002:7f00:1::1', '6to4', false],
    ['2001:db8::1', 'reserved', false],
  ])('%s is %s', (address, range, isPublic) => {
    expect(classifyAddress(address)).toMatchObject({ range, public: isPublic });
  });

  it('reports IPv4-mapped IPv6 as the IPv4 address it is', () => {
    expect(classifyAddress('::ffff:7f00:1')).toEqual({
      address: '127.0.0.1',
      family: 4,
      range: 'loopback',
      public: false,
    });
    expect(classifyAddress('example.com')).toBeNull();
  });

  it('parses the allowlist: hosts, addresses and CIDRs', () => {
    const allowlist = parseWebhookAllowlist(['127.0.0.1', ' 10.0.0.0/8', 'Hooks.Internal', '']);
    expect(allowlist.permitsAddress('10.200.3.4')).toBe(true);
    expect(allowlist.permitsAddress('::ffff:10.200.3.4')).toBe(true);
    expect(allowlist.permitsAddress('11.0.0.1')).toBe(false);
    expect(allowlist.permitsAddress('::1')).toBe(false);
    expect(allowlist.permitsHost('hooks.internal')).toBe(true);
    expect(allowlist.permitsHost('127.0.0.1')).toBe(true);
    expect(allowlist.permitsHost('localhost')).toBe(false);
    expect(() => parseWebhookAllowlist(['10.0.0.0/33'])).toThrow(/CIDR/);
    expect(() => parseWebhookAllowlist(['not a host!'])).toThrow(/allowlist/);
  });

  it('checks every address a host resolves to', async () => {
    const answers: Record<string, string[]> = {
      'public.test': ['93.184.216.34', '2606:2800:220:1::1'],
      'mixed.test': ['93.184.216.34', '10.0.0.5'],
      'mapped.test': ['::ffff:169.254.169.254'],
    };
    const lookup: WebhookLookup = async (host) =>
      (answers[host] ?? []).map((address) => ({
        address,
        family: address.includes(':') ? 6 : 4,
      }));
    const none = parseWebhookAllowlist([]);
    const resolve = (host: string, allowlist = none) =>
      resolveWebhookTarget(new URL(`https://${host}/hook`), allowlist, lookup);

    await expect(resolve('public.test')).resolves.toHaveLength(2);
    await expect(resolve('mixed.test')).rejects.toThrow(/10\.0\.0\.5 \(private address\)/);
    await expect(resolve('mapped.test')).rejects.toThrow(/169\.254\.169\.254/);
    await expect(resolve('nowhere.test')).rejects.toBeInstanceOf(WebhookTargetError);
    await expect(resolve('mixed.test', parseWebhookAllowlist(['10.0.0.0/8']))).resolves.toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.5', family: 4 },
    ]);
    await expect(
      resolve('mixed.test', parseWebhookAllowlist(['mixed.test'])),
    ).resolves.toHaveLength(2);
  });
});
