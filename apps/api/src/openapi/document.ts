import { z } from 'zod';
import {
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type ResponseConfig,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi';
import {
  createClientSchema,
  createKeySchema,
  idParamsSchema,
  listKeysQuerySchema,
  updateClientSchema,
} from '../admin/admin-schemas.ts';
import { batchIdParamsSchema, createBatchRequestSchema } from '../batches/batch-schemas.ts';
import {
  createJobRequestSchema,
  idempotencyHeadersSchema,
  jobIdParamsSchema,
  listJobsQuerySchema,
} from '../jobs/job-schemas.ts';
import {
  batchAcceptedSchema,
  batchSnapshotSchema,
  batchViewSchema,
  clientCreatedSchema,
  clientListSchema,
  clientViewSchema,
  errorBodySchema,
  generatorListSchema,
  healthReportSchema,
  jobEventMessageSchema,
  jobListSchema,
  jobViewSchema,
  keyCreatedSchema,
  keyListSchema,
  keyViewSchema,
  livenessSchema,
  queueStatsSchema,
  clientQueueStatsSchema,
  statusSchema,
} from './schemas.ts';

export interface OpenApiOptions {
  /** genq's version, shown as the document's version. */
  version: string;
  /** GENQ_MAX_BATCH_SIZE, so the documented batch limit is the enforced one. */
  maxBatchSize: number;
}

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

const DESCRIPTION = `genq runs slow generation work (synthetic data, LLM output, media) in worker
processes. Submit jobs over HTTP, follow them live over WebSocket, download results as ZIP files.

## Authentication

Client routes take a client API key, as \`Authorization: Bearer <key>\` (\`bearerAuth\`) or
\`X-API-Key: <key>\` (\`apiKeyHeader\`). A client sees, cancels, downloads and watches only its own
jobs and batches: anything else is 404. \`/api/v1/admin/*\` takes the admin key
(\`GENQ_ADMIN_KEY\`, \`adminKey\`) the same two ways. Health, documentation and
\`GET /api/v1/generators\` need no key.

## Errors

Every error, whatever the status, has one body:
\`{"error":{"code":"validation_failed","message":"…","details":[{"path":"input.rows","message":"…"}]}}\`.
Unknown fields are rejected (400, each named in \`details\`); bodies must be \`application/json\`
(415) and within the size limit (413). 429 and 503 carry \`Retry-After\` (seconds). Rate-limited
responses carry the standard \`RateLimit\` and \`RateLimit-Policy\` headers. Every response
carries \`X-Request-Id\` (a valid incoming one is kept), which the logs carry too.

## Live events over WebSocket

Connect to \`ws://<host>/ws\`, or \`ws://<host>/ws/<job_id>\` to subscribe to one job at once. The
key is checked at the upgrade, before the handshake: 401 without a valid client key, 429 when the
key already holds its maximum number of open sockets. Send the key as \`Authorization: Bearer\` or
\`X-API-Key\`; browsers, which cannot set headers, send it as a subprotocol next to \`genq\`:
\`new WebSocket(url, ['genq', 'genq.key.' + key])\` (the server selects \`genq\`, so the key never
sits in a URL).

Client messages are JSON text frames of at most 16 KiB (a bigger frame closes the socket with
1009):

- \`{"action":"subscribe","job_id":"<id>"}\` and \`{"action":"unsubscribe","job_id":"<id>"}\`
- \`{"action":"subscribe","batch_id":"<id>"}\` and \`{"action":"unsubscribe","batch_id":"<id>"}\`

Server messages:

- A job subscription starts with a \`snapshot\` of the job, then every \`progress\` and \`status\`
  event (schema \`JobEvent\`: \`type\`, \`job_id\`, \`batch_id\`, \`seq\`, \`status\`,
  \`current_step\`, \`progress\`, \`message\`, \`attempts\`, \`error\`, \`timestamp\`; snapshots
  of waiting jobs add \`position\` and \`eta_seconds\`). \`seq\` grows by one per event of a job;
  only events newer than what the socket has are sent, so resubscribing always ends right.
- A batch subscription starts with one \`batch_snapshot\` (schema \`BatchSnapshot\`: the batch
  summary and one snapshot per job, each with its \`seq\`), then every event of every job of the
  batch (each carries \`batch_id\`). A socket that follows a job and its batch gets each event once.
- \`{"type":"error","job_id":null,"error":{"code":"validation_failed","message":"…"}}\` answers a
  message that is not JSON or not one of the above; \`not_found\` a job or batch of another client.

Limits per socket (each message carries one id; there is no multi-id message):

- At most \`GENQ_WS_MAX_SUBSCRIPTIONS\` (1,000) job and batch subscriptions held at once; a batch
  counts as one, an id already followed takes no more room, an unsubscribe or a \`not_found\` frees
  room. One more gets \`{"type":"error","job_id":null,"error":{"code":"too_many_subscriptions",…}}\`,
  then the socket is closed with 1008 and reason \`too_many_subscriptions\`.
- At most \`GENQ_WS_MESSAGES_PER_SECOND\` (100) messages per second, after a burst of
  \`GENQ_WS_MESSAGE_BURST\` (1,000, enough to resubscribe everything after a reconnect); pings
  count too. Above it: the error code \`rate_limited\`, then a close with 1008 and reason
  \`rate_limited\`. After a 1008 close the server ignores further messages and cuts the socket if
  the close handshake is not completed within a second.
- Snapshots load a few at a time per socket (events of a subscription still waiting are not held:
  its snapshot is newer); a socket that leaves more than 16 MiB unread is dropped.

Close codes: 1008 over a limit above, 1009 message too big, 4401 key revoked or client disabled,
1001 server shutting down. The server pings every 30 s and drops a socket that did not answer the
previous ping.`;

const exampleId = '0194b8a2-7c3e-7d4f-9a1b-2c3d4e5f6a7b';

const json = <S>(schema: S) => ({ 'application/json': { schema } });
const ref = (kind: 'schemas' | 'responses' | 'headers', name: string) => ({
  $ref: `#/components/${kind}/${name}`,
});

/** Error responses, registered once as components and referenced by status. */
const ERRORS = {
  400: ['BadRequest', 'Invalid request (validation_failed): each problem is named in details'],
  401: ['Unauthorized', 'No valid key was presented (unauthorized)'],
  403: ['Forbidden', 'The key may not do this (forbidden), e.g. a priority above the tier'],
  404: ['NotFound', 'No such resource for this client (not_found)'],
  409: ['Conflict', 'The resource is not in a state that allows this (conflict, result_not_ready)'],
  413: ['PayloadTooLarge', 'The request body is over the limit (payload_too_large)'],
  415: ['UnsupportedMediaType', 'The body is not application/json (unsupported_media_type)'],
  429: ['TooManyRequests', 'Over the rate limit (rate_limited); retry after Retry-After seconds'],
  500: ['InternalError', 'Unexpected failure (internal_error); no internals are disclosed'],
  503: [
    'ServiceUnavailable',
    'A dependency is unreachable (service_unavailable) or the queue is full (queue_full)',
  ],
} as const;
type ErrorStatus = keyof typeof ERRORS;

const errors = (...statuses: ErrorStatus[]): Record<string, { $ref: string }> =>
  Object.fromEntries(statuses.map((s) => [String(s), ref('responses', ERRORS[s][0])]));

/** Statuses any client route can answer besides its own. */
const CLIENT_ERRORS: ErrorStatus[] = [401, 403, 429, 500];
const WITH_BODY: ErrorStatus[] = [400, 413, 415];

type Security = Record<string, string[]>[];
const CLIENT_SECURITY: Security = [{ bearerAuth: [] }, { apiKeyHeader: [] }];
const ADMIN_SECURITY: Security = [{ adminKey: [] }];
/** Operators: the admin key, or GENQ_METRICS_TOKEN when it is set. */
const ADMIN_OR_METRICS_SECURITY: Security = [{ adminKey: [] }, { metricsToken: [] }];

const zipResponse = (description: string): ResponseConfig => ({
  description,
  content: {
    'application/zip': { schema: { type: 'string', contentMediaType: 'application/zip' } },
  },
});

/**
 * The OpenAPI 3.1 document of the API, generated from the zod schemas the routes validate
 * requests with (jobs/job-schemas.ts, batches/batch-schemas.ts, admin/admin-schemas.ts) and the
 * response schemas of ./schemas.ts. Every route the app serves must be registered here; the
 * openapi integration test walks the app's routers and fails on any that is not.
 */
export function buildOpenApiDocument(options: OpenApiOptions): OpenApiDocument {
  const registry = new OpenAPIRegistry();

  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'A client API key (`genq_…`): `Authorization: Bearer <key>`',
  });
  registry.registerComponent('securitySchemes', 'apiKeyHeader', {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description: 'A client API key (`genq_…`) in the X-API-Key header',
  });
  registry.registerComponent('securitySchemes', 'adminKey', {
    type: 'http',
    scheme: 'bearer',
    description:
      'The admin key (GENQ_ADMIN_KEY) for /api/v1/admin/*: `Authorization: Bearer <key>` (X-API-Key works too)',
  });

  registry.registerComponent('securitySchemes', 'adminBasic', {
    type: 'http',
    scheme: 'basic',
    description: 'The admin key as the password of HTTP Basic (any user name), for /admin/queues',
  });
  registry.registerComponent('securitySchemes', 'metricsToken', {
    type: 'http',
    scheme: 'bearer',
    description:
      'GENQ_METRICS_TOKEN, only when it is set: /metrics and /status are open otherwise; it also opens the full GET /api/v1/queue/stats',
  });

  registry.registerComponent('headers', 'RetryAfter', {
    description: 'Seconds to wait before retrying',
    schema: { type: 'integer', minimum: 0 },
  });
  registry.registerComponent('headers', 'RateLimit', {
    description: 'Remaining quota (IETF draft-8 RateLimit header), when rate limiting is on',
    schema: { type: 'string' },
  });
  registry.registerComponent('headers', 'RateLimitPolicy', {
    description: 'The quota policy (IETF draft-8 RateLimit-Policy header)',
    schema: { type: 'string' },
  });

  const retryHeaders = {
    429: {
      'Retry-After': ref('headers', 'RetryAfter'),
      RateLimit: ref('headers', 'RateLimit'),
      'RateLimit-Policy': ref('headers', 'RateLimitPolicy'),
    },
    503: { 'Retry-After': ref('headers', 'RetryAfter') },
  };
  for (const [status, [name, description]] of Object.entries(ERRORS)) {
    registry.registerComponent('responses', name, {
      description,
      headers: retryHeaders[Number(status) as keyof typeof retryHeaders],
      content: json(ref('schemas', 'Error')),
    });
  }

  // Component names and examples go in zod's own metadata (`.meta()`), which the generator
  // reads as it reads `.openapi()`. `extendZodWithOpenApi` is not used: with zod 4 its
  // `.openapi()` exists only on schemas created after it ran, and the request schemas are
  // created when their modules load, so whether it worked would depend on import order.
  const jobRequest = createJobRequestSchema.meta({ id: 'CreateJobRequest' });
  const batchSchema = createBatchRequestSchema(options.maxBatchSize);
  // Items are validated one by one after the envelope (so one answer names every bad item);
  // each has the shape of CreateJobRequest.
  const batchRequest = batchSchema
    .extend({
      requests: batchSchema.shape.requests.meta({ items: ref('schemas', 'CreateJobRequest') }),
    })
    .meta({ id: 'CreateBatchRequest' });
  const jobIdParams = jobIdParamsSchema.extend({
    id: jobIdParamsSchema.shape.id.meta({ example: exampleId }),
  });
  const batchIdParams = batchIdParamsSchema.extend({
    id: batchIdParamsSchema.shape.id.meta({ example: exampleId }),
  });

  const path = (route: RouteConfig): void => registry.registerPath(route);
  const ok = (schema: z.ZodType, description: string, headers?: ResponseConfig['headers']) => ({
    description,
    headers,
    content: json(schema),
  });

  // Jobs
  path({
    method: 'post',
    path: '/api/v1/jobs',
    operationId: 'submitJob',
    tags: ['jobs'],
    summary: 'Submit a job',
    description:
      "The body is checked (strictly), then the input against the generator's own schema. " +
      "The job's priority defaults to the client's tier and may be lowered, never raised.",
    security: CLIENT_SECURITY,
    request: {
      headers: idempotencyHeadersSchema,
      body: { required: true, content: json(jobRequest) },
    },
    responses: {
      202: ok(jobViewSchema, 'Accepted and queued', {
        Location: { description: 'The job', schema: { type: 'string' } },
      }),
      200: ok(jobViewSchema, 'Replayed: the job first created with this Idempotency-Key', {
        'Idempotent-Replayed': { schema: { type: 'string', enum: ['true'] } },
      }),
      ...errors(...WITH_BODY, ...CLIENT_ERRORS, 409, 503),
    },
  });
  path({
    method: 'get',
    path: '/api/v1/jobs',
    operationId: 'listJobs',
    tags: ['jobs'],
    summary: "List the client's jobs, newest first",
    security: CLIENT_SECURITY,
    request: { query: listJobsQuerySchema },
    responses: { 200: ok(jobListSchema, 'A page of jobs'), ...errors(400, ...CLIENT_ERRORS) },
  });
  path({
    method: 'get',
    path: '/api/v1/jobs/{id}',
    operationId: 'getJob',
    tags: ['jobs'],
    summary: 'Get a job, with its queue position and ETA while it waits',
    security: CLIENT_SECURITY,
    request: { params: jobIdParams },
    responses: { 200: ok(jobViewSchema, 'The job'), ...errors(404, ...CLIENT_ERRORS) },
  });
  path({
    method: 'delete',
    path: '/api/v1/jobs/{id}',
    operationId: 'cancelJob',
    tags: ['jobs'],
    summary: 'Cancel a job',
    description:
      'A waiting job is cancelled at once (200); a running job is asked to stop (202, status `cancelling`).',
    security: CLIENT_SECURITY,
    request: { params: jobIdParams },
    responses: {
      200: ok(jobViewSchema, 'Cancelled'),
      202: ok(jobViewSchema, 'Cancellation requested; the worker stops the job'),
      ...errors(404, 409, ...CLIENT_ERRORS, 503),
    },
  });
  path({
    method: 'get',
    path: '/api/v1/jobs/{id}/result',
    operationId: 'getJobResult',
    tags: ['jobs'],
    summary: "Download a completed job's result (ZIP)",
    security: CLIENT_SECURITY,
    request: { params: jobIdParams },
    responses: {
      200: zipResponse('The result files and metadata.json'),
      ...errors(404, 409, ...CLIENT_ERRORS),
    },
  });

  // Batches
  path({
    method: 'post',
    path: '/api/v1/jobs/batch',
    operationId: 'submitBatch',
    tags: ['batches'],
    summary: `Submit up to ${options.maxBatchSize} jobs at once, all or nothing`,
    description:
      'Every request is checked first; one bad item rejects the batch, each detail naming its ' +
      'item (e.g. `requests.3.input.rows`). With an Idempotency-Key, a retry of the same body ' +
      'gets the first batch back (200); the key used for another body is a 409.',
    security: CLIENT_SECURITY,
    request: {
      headers: idempotencyHeadersSchema,
      body: { required: true, content: json(batchRequest) },
    },
    responses: {
      202: ok(batchAcceptedSchema, 'Accepted and queued', {
        Location: { description: 'The batch', schema: { type: 'string' } },
      }),
      200: ok(batchAcceptedSchema, 'Replayed: the batch first created with this Idempotency-Key', {
        'Idempotent-Replayed': { schema: { type: 'string', enum: ['true'] } },
      }),
      ...errors(...WITH_BODY, ...CLIENT_ERRORS, 409, 503),
    },
  });
  path({
    method: 'get',
    path: '/api/v1/batches/{id}',
    operationId: 'getBatch',
    tags: ['batches'],
    summary: 'Get a batch: its status, counts per job status, progress and jobs',
    security: CLIENT_SECURITY,
    request: { params: batchIdParams },
    responses: { 200: ok(batchViewSchema, 'The batch'), ...errors(404, ...CLIENT_ERRORS) },
  });
  path({
    method: 'get',
    path: '/api/v1/batches/{id}/result',
    operationId: 'getBatchResult',
    tags: ['batches'],
    summary: "Download a batch's results as one ZIP",
    description:
      "Each completed job's files under `<job_id>/`, and `manifest.json` listing every job with its status.",
    security: CLIENT_SECURITY,
    request: { params: batchIdParams },
    responses: {
      200: zipResponse('The batch ZIP'),
      ...errors(404, 409, ...CLIENT_ERRORS),
    },
  });

  // Queue and generators
  path({
    method: 'get',
    path: '/api/v1/queue/stats',
    operationId: 'getQueueStats',
    tags: ['queue'],
    summary: 'How busy genq is: waiting, running and finished jobs, workers, per generator',
    description:
      'Two shapes, told apart by `scope`. A client key gets `ClientQueueStats` (`scope: client`): ' +
      "its own jobs' counts (`own`) and the fleet-wide figures its positions and ETAs follow " +
      'from (waiting and running totals, throughput, live workers and job slots). The admin key ' +
      'or GENQ_METRICS_TOKEN (as a bearer token) gets `QueueStats` (`scope: fleet`); only it ' +
      "has `workers` (ids, hosts, process ids), the fleet's `completed`/`failed`/`cancelled` " +
      'totals, per-generator outcome totals and `scheduling.clients`.',
    security: [...CLIENT_SECURITY, ...ADMIN_OR_METRICS_SECURITY],
    responses: {
      200: ok(
        z.union([clientQueueStatsSchema, queueStatsSchema]),
        'Queue statistics: ClientQueueStats for a client key, QueueStats for an operator',
      ),
      ...errors(...CLIENT_ERRORS),
    },
  });
  path({
    method: 'get',
    path: '/api/v1/generators',
    operationId: 'listGenerators',
    tags: ['generators'],
    summary: 'What can be generated, with each input as JSON Schema',
    security: [],
    responses: { 200: ok(generatorListSchema, 'The generators'), ...errors(429, 500) },
  });

  // Admin
  const idParams = (what: string) =>
    idParamsSchema.extend({ id: idParamsSchema.shape.id.meta({ description: what }) });
  const ADMIN_ERRORS: ErrorStatus[] = [401, 403, 429, 500];
  path({
    method: 'post',
    path: '/api/v1/admin/clients',
    operationId: 'createClient',
    tags: ['admin'],
    summary: 'Create a client',
    security: ADMIN_SECURITY,
    request: { body: { required: true, content: json(createClientSchema) } },
    responses: {
      201: ok(clientCreatedSchema, 'Created; the webhook secret is shown only here'),
      ...errors(...WITH_BODY, ...ADMIN_ERRORS, 409),
    },
  });
  path({
    method: 'get',
    path: '/api/v1/admin/clients',
    operationId: 'listClients',
    tags: ['admin'],
    summary: 'List clients',
    security: ADMIN_SECURITY,
    responses: { 200: ok(clientListSchema, 'Every client'), ...errors(...ADMIN_ERRORS) },
  });
  path({
    method: 'patch',
    path: '/api/v1/admin/clients/{id}',
    operationId: 'updateClient',
    tags: ['admin'],
    summary: "Change a client's tier or concurrency, or disable it (its sockets are closed)",
    security: ADMIN_SECURITY,
    request: {
      params: idParams('Client id'),
      body: { required: true, content: json(updateClientSchema) },
    },
    responses: {
      200: ok(clientViewSchema, 'The updated client'),
      ...errors(...WITH_BODY, 404, ...ADMIN_ERRORS),
    },
  });
  path({
    method: 'post',
    path: '/api/v1/admin/clients/{id}/keys',
    operationId: 'createKey',
    tags: ['admin'],
    summary: 'Create an API key for a client',
    security: ADMIN_SECURITY,
    request: {
      params: idParams('Client id'),
      body: { required: false, content: json(createKeySchema) },
    },
    responses: {
      201: ok(keyCreatedSchema, 'Created; the key is shown only here'),
      ...errors(...WITH_BODY, 404, ...ADMIN_ERRORS),
    },
  });
  path({
    method: 'get',
    path: '/api/v1/admin/keys',
    operationId: 'listKeys',
    tags: ['admin'],
    summary: 'List API keys (never the secrets)',
    security: ADMIN_SECURITY,
    request: { query: listKeysQuerySchema },
    responses: { 200: ok(keyListSchema, 'The keys'), ...errors(400, ...ADMIN_ERRORS) },
  });
  path({
    method: 'delete',
    path: '/api/v1/admin/keys/{id}',
    operationId: 'revokeKey',
    tags: ['admin'],
    summary: 'Revoke a key: every API process refuses it and closes its sockets',
    security: ADMIN_SECURITY,
    request: { params: idParams('Key id') },
    responses: { 200: ok(keyViewSchema, 'The revoked key'), ...errors(404, ...ADMIN_ERRORS) },
  });

  // Health, status and metrics: no client key.
  const health = (route: RouteConfig): void => path({ ...route, tags: ['health'], security: [] });
  health({
    method: 'get',
    path: '/health',
    operationId: 'liveness',
    summary: 'Liveness: answers from memory, never touches a dependency',
    responses: { 200: ok(livenessSchema, 'The process is up') },
  });
  health({
    method: 'get',
    path: '/api/v1/health/live',
    operationId: 'healthLive',
    summary: 'Liveness, under /api/v1',
    responses: { 200: ok(livenessSchema, 'The process is up') },
  });
  health({
    method: 'get',
    path: '/api/v1/health/ready',
    operationId: 'healthReady',
    summary: 'Readiness: PostgreSQL and Redis answer',
    responses: {
      200: ok(healthReportSchema, 'Ready'),
      503: ok(healthReportSchema, 'PostgreSQL or Redis is unreachable'),
    },
  });
  health({
    method: 'get',
    path: '/api/v1/health',
    operationId: 'health',
    summary: 'Every check (database, Redis, queue, disk, workers, GPU) with details',
    responses: {
      200: ok(healthReportSchema, 'Healthy or degraded'),
      503: ok(healthReportSchema, 'A check is unhealthy'),
    },
  });
  // Open unless GENQ_METRICS_TOKEN is set; then that token as a bearer token.
  const OPS_SECURITY: Security = [{}, { metricsToken: [] }];
  path({
    method: 'get',
    path: '/status',
    operationId: 'status',
    tags: ['health'],
    summary:
      'Requests in flight, WebSockets, worker processes and their concurrency, queue counters',
    security: OPS_SECURITY,
    responses: {
      200: ok(statusSchema, 'What this process and the workers are doing'),
      ...errors(401),
    },
  });
  path({
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    tags: ['health'],
    summary: 'Prometheus metrics (text exposition format) of this process and the worker fleet',
    security: OPS_SECURITY,
    responses: {
      200: {
        description: 'Prometheus text format',
        content: { 'text/plain': { schema: { type: 'string' } } },
      },
      ...errors(401),
    },
  });

  // The browser side: the dashboard and the ops view (bull-board, its own app under the path).
  const html = (description: string): ResponseConfig => ({
    description,
    content: { 'text/html': { schema: { type: 'string' } } },
  });
  for (const [route, operationId] of [
    ['/', 'dashboard'],
    ['/index.html', 'dashboardIndex'],
  ] as const) {
    path({
      method: 'get',
      path: route,
      operationId,
      tags: ['dashboard'],
      summary: 'The dashboard (the API key is entered in the page)',
      security: [],
      responses: {
        200: html('The dashboard page'),
        503: {
          description: 'The dashboard is not built',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
      },
    });
  }
  path({
    method: 'get',
    path: '/assets/{name}',
    operationId: 'dashboardAsset',
    tags: ['dashboard'],
    summary: "The dashboard's scripts, styles and images (content-hashed, cached as immutable)",
    security: [],
    request: {
      params: z.object({
        name: z
          .string()
          .regex(/^[\w.-]+$/)
          .describe('File name'),
      }),
    },
    responses: {
      200: {
        description: 'The file (gzip when accepted)',
        content: {
          'text/javascript': { schema: { type: 'string' } },
          'text/css': { schema: { type: 'string' } },
          'image/svg+xml': { schema: { type: 'string' } },
          'application/json': { schema: { type: 'object' } },
        },
      },
      ...errors(404),
    },
  });
  path({
    method: 'get',
    path: '/admin/queues',
    operationId: 'opsView',
    tags: ['dashboard'],
    summary: 'The ops view of the generator queues (bull-board), for operators',
    description:
      'bull-board and the API it calls live under this path. Browsers sign in with HTTP Basic: ' +
      'any user name, the admin key as password.',
    security: [{ adminBasic: [] }, { adminKey: [] }],
    responses: { 200: html('bull-board'), ...errors(401) },
  });

  // This document
  path({
    method: 'get',
    path: '/api/v1/openapi.json',
    operationId: 'openapi',
    tags: ['docs'],
    summary: 'This OpenAPI 3.1 document',
    security: [],
    responses: {
      200: { description: 'The document', content: json({ type: 'object' }) },
      ...errors(429),
    },
  });
  path({
    method: 'get',
    path: '/api/v1/docs',
    operationId: 'docs',
    tags: ['docs'],
    summary: 'Interactive documentation (Swagger UI) of this document',
    description: 'Served at `/api/v1/docs/`; the path without the slash redirects there.',
    security: [],
    responses: {
      200: { description: 'Swagger UI', content: { 'text/html': { schema: { type: 'string' } } } },
      301: {
        description: 'Redirect to /api/v1/docs/',
        headers: { Location: { schema: { type: 'string' } } },
      },
      ...errors(429),
    },
  });

  // Not used by any route, so named explicitly: the error body and the WebSocket messages.
  return new OpenApiGeneratorV31([
    ...registry.definitions,
    ...[errorBodySchema, jobEventMessageSchema, batchSnapshotSchema].map((schema) => ({
      type: 'schema' as const,
      schema,
    })),
  ]).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'genq API',
      version: options.version,
      description: DESCRIPTION,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/', description: 'This server' }],
    tags: [
      { name: 'jobs', description: 'Submit, follow, cancel and download jobs' },
      { name: 'batches', description: 'Many jobs at once, all or nothing' },
      { name: 'queue', description: 'Queue statistics' },
      { name: 'generators', description: 'What can be generated' },
      { name: 'admin', description: 'Clients and API keys (admin key)' },
      { name: 'health', description: 'Health, status and metrics' },
      { name: 'dashboard', description: 'The dashboard and the ops view, for browsers' },
      { name: 'docs', description: 'This documentation' },
    ],
  });
}
