import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { z } from 'zod';
import { requestJson, startTestStack, waitUntil, type TestStack } from '@genq/test-utils';
import {
  batchAcceptedSchema,
  batchViewSchema,
  clientCreatedSchema,
  clientListSchema,
  clientViewSchema,
  errorBodySchema,
  generatorListSchema,
  healthReportSchema,
  jobListSchema,
  jobViewSchema,
  keyCreatedSchema,
  keyListSchema,
  keyViewSchema,
  livenessSchema,
  queueStatsSchema,
  clientQueueStatsSchema,
  statusSchema,
} from '../../src/openapi/schemas.ts';

interface Operation {
  security?: Record<string, string[]>[];
  responses: Record<string, { $ref?: string; headers?: Record<string, unknown> }>;
}
interface OpenApiDocument {
  openapi: string;
  info: { description: string };
  paths: Record<string, Record<string, Operation>>;
  components: {
    securitySchemes: Record<string, { type: string; scheme?: string; name?: string }>;
    responses: Record<string, { headers?: Record<string, unknown>; content: unknown }>;
  };
}

/** An Express 5 router layer, as far as the walk below needs it. */
interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  rawPath?: unknown;
}

/**
 * Every `METHOD /path` the app routes, found by walking its routers. Express 5 (router 2.x)
 * keeps each layer's mount path as `rawPath`; routes are `layer.route`, sub-routers have a
 * `stack`. `:id` becomes `{id}` as in OpenAPI. A mounted Express sub-app (bull-board under
 * /admin/queues) is not a router and is documented by its mount path.
 */
function servedRoutes(stack: Layer[], prefix = ''): string[] {
  const routes: string[] = [];
  for (const layer of stack) {
    if (layer.route) {
      for (const path of [layer.route.path].flat()) {
        for (const method of Object.keys(layer.route.methods)) {
          if (method === '_all') throw new Error(`router.all() on ${prefix}${path}`);
          routes.push(`${method.toUpperCase()} ${toTemplate(prefix + path)}`);
        }
      }
    } else if (layer.handle?.stack) {
      if (typeof layer.rawPath !== 'string') {
        throw new Error(`a router mounted on a non-string path under ${prefix || '/'}`);
      }
      const mount = layer.rawPath === '/' ? '' : layer.rawPath.replace(/\/$/, '');
      routes.push(...servedRoutes(layer.handle.stack, prefix + mount));
    }
  }
  return routes;
}

function toTemplate(path: string): string {
  if (/[*?()[\]]/.test(path)) throw new Error(`route syntax the walk does not know: ${path}`);
  return path.replace(/:(\w+)/g, '{$1}');
}

function documentedRoutes(doc: OpenApiDocument): string[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
  );
}

/** The body conforms to the documented response schema (strict: no field added or dropped). */
function expectConforms(schema: z.ZodType, body: unknown): void {
  const parsed = schema.safeParse(body);
  expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
}

describe('OpenAPI document', () => {
  let stack: TestStack;
  let doc: OpenApiDocument;

  /** The status is one the document lists for this operation. */
  function expectDocumented(method: string, template: string, status: number): void {
    const operation = doc.paths[template]?.[method.toLowerCase()];
    expect({ operation: `${method} ${template}`, documented: !!operation }).toEqual({
      operation: `${method} ${template}`,
      documented: true,
    });
    expect(Object.keys(operation!.responses)).toContain(String(status));
  }

  beforeAll(async () => {
    stack = await startTestStack({ workers: 1 });
    const res = await requestJson<OpenApiDocument>('GET', `${stack.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    doc = res.body;
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('documents every route the app serves', () => {
    const app = stack.api.server.listeners('request')[0] as unknown as {
      router: { stack: Layer[] };
    };
    const served = [...new Set(servedRoutes(app.router.stack))].sort();
    // The walk sees the app's routes at all (mounts included)…
    for (const known of [
      'GET /health',
      'POST /api/v1/jobs',
      'GET /api/v1/jobs/{id}/result',
      'POST /api/v1/jobs/batch',
      'DELETE /api/v1/admin/keys/{id}',
      'GET /api/v1/openapi.json',
      'GET /api/v1/docs',
    ]) {
      expect(served).toContain(known);
    }
    // …and each one is in the document.
    const documented = new Set(documentedRoutes(doc));
    expect(served.filter((route) => !documented.has(route))).toEqual([]);
  });

  it('has the security schemes, and every error response uses the one error body', () => {
    const schemes = doc.components.securitySchemes;
    expect(schemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.apiKeyHeader).toMatchObject({ type: 'apiKey', name: 'X-API-Key' });
    expect(schemes.adminKey).toMatchObject({ type: 'http', scheme: 'bearer' });

    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        const statuses = Object.keys(operation.responses);
        expect({ where, success: statuses.some((s) => /^[23]/.test(s)) }).toEqual({
          where,
          success: true,
        });
        const security = operation.security ?? [];
        if (path.startsWith('/api/v1/admin/')) expect(security).toEqual([{ adminKey: [] }]);
        else if (security.some((s) => 'bearerAuth' in s)) {
          // Queue stats also answers operators (a fuller shape): the admin key, the metrics token.
          const operators =
            path === '/api/v1/queue/stats' ? [{ adminKey: [] }, { metricsToken: [] }] : [];
          expect({ where, security }).toEqual({
            where,
            security: [{ bearerAuth: [] }, { apiKeyHeader: [] }, ...operators],
          });
        }
        if (security.some((s) => Object.keys(s).length > 0)) {
          expect({ where, has401: statuses.includes('401') }).toEqual({ where, has401: true });
        }
        for (const status of statuses.filter((s) => /^[45]/.test(s))) {
          const response = operation.responses[status]!;
          // Health reports answer 503 with their own body; every other error is the Error body.
          if (!response.$ref) continue;
          expect(response.$ref).toMatch(/^#\/components\/responses\//);
        }
      }
    }
    for (const [name, response] of Object.entries(doc.components.responses)) {
      expect({ name, content: response.content }).toEqual({
        name,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      });
    }
    expect(doc.components.responses.TooManyRequests!.headers).toHaveProperty('Retry-After');
    expect(doc.components.responses.ServiceUnavailable!.headers).toHaveProperty('Retry-After');
  });

  it('describes WebSocket use: subscribe messages, events and the key subprotocol', () => {
    const text = doc.info.description;
    expect(text).toContain('{"action":"subscribe","job_id":"<id>"}');
    expect(text).toContain('{"action":"subscribe","batch_id":"<id>"}');
    expect(text).toContain('genq.key.');
    expect(text).toContain('batch_snapshot');
    expect(text).toContain('1009');
    for (const limit of ['GENQ_WS_MAX_SUBSCRIPTIONS', 'too_many_subscriptions', 'rate_limited']) {
      expect(text).toContain(limit);
    }
  });

  it('documents responses that match what the running stack answers', async () => {
    const submitted = await stack.http('POST', '/api/v1/jobs', {
      generator: 'noop',
      input: { write_file: true },
    });
    expect(submitted.status).toBe(202);
    expectDocumented('POST', '/api/v1/jobs', 202);
    expectConforms(jobViewSchema, submitted.body);
    const id = submitted.body.id as string;

    const done = await waitUntil(
      () => stack.http('GET', `/api/v1/jobs/${id}`),
      (res) => res.body.status === 'completed',
    );
    expectDocumented('GET', '/api/v1/jobs/{id}', 200);
    expectConforms(jobViewSchema, done.body);

    const list = await stack.http('GET', '/api/v1/jobs?limit=1');
    expectDocumented('GET', '/api/v1/jobs', 200);
    expectConforms(jobListSchema, list.body);
    expect(list.body.next_cursor).toBe(id);

    const batch = await stack.http('POST', '/api/v1/jobs/batch', {
      requests: [
        { generator: 'noop', input: {} },
        { generator: 'noop', input: { fail: 'unrecoverable' } },
      ],
    });
    expect(batch.status).toBe(202);
    expectDocumented('POST', '/api/v1/jobs/batch', 202);
    expectConforms(batchAcceptedSchema, batch.body);
    const finished = await waitUntil(
      () => stack.http('GET', `/api/v1/batches/${batch.body.batch_id as string}`),
      (res) => res.body.completed_at !== null,
    );
    expectDocumented('GET', '/api/v1/batches/{id}', 200);
    expectConforms(batchViewSchema, finished.body);
    expect(finished.body.status).toBe('completed_with_errors');

    const stats = await requestJson('GET', `${stack.url}/api/v1/queue/stats`, undefined, {
      authorization: `Bearer ${stack.adminKey}`,
    });
    expectDocumented('GET', '/api/v1/queue/stats', 200);
    expectConforms(queueStatsSchema, stats.body);
    expect((stats.body.workers as unknown[]).length).toBeGreaterThan(0);
    // A client key gets the other documented shape, without workers.
    const own = await stack.http('GET', '/api/v1/queue/stats');
    expect(own.status).toBe(200);
    expectConforms(clientQueueStatsSchema, own.body);

    const generators = await requestJson('GET', `${stack.url}/api/v1/generators`);
    expectConforms(generatorListSchema, generators.body);

    const missing = await stack.http('GET', '/api/v1/jobs/00000000-0000-7000-8000-000000000000');
    expect(missing.status).toBe(404);
    expectDocumented('GET', '/api/v1/jobs/{id}', 404);
    expectConforms(errorBodySchema, missing.body);
    const invalid = await stack.http('POST', '/api/v1/jobs', { generator: 'noop', extra: 1 });
    expect(invalid.status).toBe(400);
    expectConforms(errorBodySchema, invalid.body);
    const anonymous = await requestJson('GET', `${stack.url}/api/v1/jobs`);
    expect(anonymous.status).toBe(401);
    expectConforms(errorBodySchema, anonymous.body);
  });

  it('documents the admin, health and status responses as they are', async () => {
    const admin = { authorization: `Bearer ${stack.adminKey}` };
    const call = (method: string, path: string, body?: unknown) =>
      requestJson(method, `${stack.url}/api/v1/admin${path}`, body, admin);

    const created = await call('POST', '/clients', { name: 'openapi-doc', tier: 'standard' });
    expect(created.status).toBe(201);
    expectConforms(clientCreatedSchema, created.body);
    const clientId = created.body.id as string;
    expectConforms(clientListSchema, (await call('GET', '/clients')).body);
    expectConforms(
      clientViewSchema,
      (await call('PATCH', `/clients/${clientId}`, { tier: 'free' })).body,
    );
    const key = await call('POST', `/clients/${clientId}/keys`, { name: 'docs' });
    expect(key.status).toBe(201);
    expectConforms(keyCreatedSchema, key.body);
    expectConforms(keyListSchema, (await call('GET', `/keys?client_id=${clientId}`)).body);
    const revoked = await call('DELETE', `/keys/${key.body.id as string}`);
    expectConforms(keyViewSchema, revoked.body);
    expect(revoked.body.revoked_at).not.toBeNull();

    expectConforms(livenessSchema, (await requestJson('GET', `${stack.url}/health`)).body);
    expectConforms(
      livenessSchema,
      (await requestJson('GET', `${stack.url}/api/v1/health/live`)).body,
    );
    expectConforms(
      healthReportSchema,
      (await requestJson('GET', `${stack.url}/api/v1/health/ready`)).body,
    );
    expectConforms(
      healthReportSchema,
      (await requestJson('GET', `${stack.url}/api/v1/health`)).body,
    );
    expectConforms(statusSchema, (await requestJson('GET', `${stack.url}/status`)).body);
  });

  it('serves Swagger UI at /api/v1/docs/ from this origin only, within the CSP', async () => {
    const bare = await fetch(`${stack.url}/api/v1/docs`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/api/v1/docs/');

    const page = await fetch(`${stack.url}/api/v1/docs/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-eval');
    // Over plain HTTP on a private network this would send the page's assets to HTTPS.
    expect(csp).not.toContain('upgrade-insecure-requests');
    const html = await page.text();
    // No inline script (the CSP would block it): every script has a same-origin src.
    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    const assets = [
      ...scripts.map((attrs) => /src=["']([^"']+)["']/.exec(attrs)?.[1]),
      ...[...html.matchAll(/<link\b[^>]*href=["']([^"']+)["']/g)].map((m) => m[1]),
    ];
    for (const src of assets) {
      expect(src).toMatch(/^\.\//);
      const asset = await fetch(new URL(src!, `${stack.url}/api/v1/docs/`));
      expect({ src, status: asset.status }).toEqual({ src, status: 200 });
      await asset.arrayBuffer();
    }
    const init = await (await fetch(`${stack.url}/api/v1/docs/swagger-ui-init.js`)).text();
    expect(init).toContain('/api/v1/openapi.json');

    // The rest of swagger-ui-dist is not served.
    const other = await stack.http('GET', '/api/v1/docs/index.html');
    expect(other.status).toBe(404);
    expectConforms(errorBodySchema, other.body);
  });

  // Last: compiling the OpenAPI schemas blocks this process (and the in-process server) for a
  // few seconds, long enough for a pooled keep-alive connection to race the server's timeout.
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(doc as unknown as Parameters<Validator['validate']>[0]);
    expect(result).toEqual({ valid: true });
    expect(validator.version).toBe('3.1');
    expect(doc.openapi).toMatch(/^3\.1\./);
  });
});
