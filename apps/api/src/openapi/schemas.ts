import { z } from 'zod';
import { jobEventSchema, JOB_STATUSES, PRIORITY_NAMES, STAGES, type ErrorCode } from '@genq/core';
import type { GeneratorInfo } from '@genq/generators';
import { WEBHOOK_EVENTS, webhookLastDeliverySchema } from '@genq/queue';
import type { clientView, keyView } from '../admin/admin-service.ts';
import type { BatchAccepted } from '../batches/batch-service.ts';
import type { BatchView } from '../batches/batch-view.ts';
import type { HealthReport } from '../health/health-service.ts';
import type { JobView } from '../jobs/job-view.ts';
import type { ClientQueueStats, QueueStats } from '../queue/queue-stats.ts';

/**
 * Response bodies as documented in the OpenAPI document. The views are built elsewhere
 * (jobs/job-view.ts, batches/batch-view.ts, …); these schemas describe them, are strict (a
 * field the view adds or drops fails the response test) and are checked against the view
 * types at compile time below.
 */

const ERROR_CODES = [
  'validation_failed',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'result_not_ready',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'internal_error',
  'service_unavailable',
  'queue_full',
] as const satisfies readonly ErrorCode[];

/** Compile-time: every code of the catalogue is listed above. */
export const documentedErrorCodes: [Exclude<ErrorCode, (typeof ERROR_CODES)[number]>] extends [
  never,
]
  ? true
  : false = true;

const timestamp = z.iso.datetime().meta({ example: '2025-01-31T12:00:00.000Z' });
const uuid = z.uuid().meta({ example: '0194b8a2-7c3e-7d4f-9a1b-2c3d4e5f6a7b' });
const count = z.number().int().nonnegative();

export const errorBodySchema = z
  .strictObject({
    error: z.strictObject({
      code: z.enum(ERROR_CODES).describe('Stable, machine-readable reason'),
      message: z.string().describe('For humans; may change'),
      details: z
        .array(
          z.strictObject({
            path: z.string().describe('The field at fault, dot-separated, e.g. input.rows'),
            message: z.string(),
          }),
        )
        .describe('One entry per problem; empty when there is nothing more to say'),
    }),
  })
  .meta({ id: 'Error', description: 'The one error body genq answers with' });

const jobLinks = z.strictObject({
  self: z.string(),
  result: z.string(),
  websocket: z.string().describe('Path of the WebSocket that follows this job'),
});

const webhookViewSchema = z
  .strictObject({
    url: z.string(),
    events: z.array(z.enum(WEBHOOK_EVENTS)),
    last_delivery: webhookLastDeliverySchema
      .omit({ created_at: true })
      .strict()
      .nullable()
      .describe('The delivery of the latest event so far; null before the first'),
  })
  .meta({ id: 'JobWebhook', description: "The job's webhook and its last delivery" });

export const jobViewSchema = z
  .strictObject({
    id: uuid,
    generator: z.string(),
    status: z
      .enum([...JOB_STATUSES, 'cancelling'])
      .describe('`cancelling` while a running job has been asked to stop'),
    priority: z.enum(PRIORITY_NAMES),
    current_step: z.enum(STAGES),
    progress: z.number().min(0).max(100),
    message: z.string().nullable(),
    attempts: count,
    max_attempts: count,
    retry_count: count,
    next_attempt_at: timestamp.nullable().describe('When a retrying job runs again'),
    error: z.strictObject({ code: z.string(), message: z.string() }).nullable(),
    input: z.record(z.string(), z.unknown()).describe('The input as submitted'),
    batch_id: uuid.nullable(),
    target: z.string().nullable(),
    timeout_ms: count
      .nullable()
      .describe("Wall time of one attempt this job asked for; null = its generator's limit"),
    result: z
      .strictObject({ size_bytes: count, files: count, url: z.string() })
      .nullable()
      .describe('Set once the job is completed'),
    created_at: timestamp,
    updated_at: timestamp,
    started_at: timestamp.nullable(),
    completed_at: timestamp.nullable(),
    duration_seconds: z.number().nonnegative().nullable(),
    position: count
      .nullable()
      .describe('Jobs that start before this one (0 = next); null unless waiting, and in lists'),
    eta_seconds: z
      .number()
      .nonnegative()
      .nullable()
      .describe(
        'Rough seconds until it completes; null unless waiting or when no worker serves it',
      ),
    webhook: webhookViewSchema.nullable(),
    links: jobLinks,
  })
  .meta({ id: 'Job' });

export const jobListSchema = z
  .strictObject({
    jobs: z.array(jobViewSchema).describe('Newest first'),
    next_cursor: uuid.nullable().describe('Pass as `cursor` for the next page; null on the last'),
  })
  .meta({ id: 'JobList' });

const batchLinks = z.strictObject({
  self: z.string(),
  result: z.string(),
  websocket: z.string().describe('Subscribe with {"action":"subscribe","batch_id":"…"}'),
});

export const batchAcceptedSchema = z
  .strictObject({
    batch_id: uuid,
    job_ids: z.array(uuid),
    total_jobs: count,
    estimated_total_time_seconds: z
      .number()
      .nonnegative()
      .describe("Sum of the generators' estimates: work time, not wall time"),
    links: batchLinks,
  })
  .meta({ id: 'BatchAccepted' });

export const batchViewSchema = z
  .strictObject({
    id: uuid,
    status: z.enum([
      'queued',
      'running',
      'completed',
      'completed_with_errors',
      'failed',
      'cancelled',
    ]),
    total_jobs: count,
    counts: z.record(z.enum(JOB_STATUSES), count).describe('Jobs per status'),
    progress: z
      .number()
      .min(0)
      .max(100)
      .describe('Mean progress of the jobs; a finished job counts as 100'),
    completed_at: timestamp.nullable(),
    created_at: timestamp,
    jobs: z.array(jobViewSchema),
    links: batchLinks,
  })
  .meta({ id: 'Batch' });

/** WebSocket messages (documented in the description, listed as components). */
export const jobEventMessageSchema = jobEventSchema.meta({
  id: 'JobEvent',
  description: 'A job snapshot or event on the WebSocket; `seq` grows by one per event of a job',
});

export const batchSnapshotSchema = batchViewSchema
  .pick({ status: true, total_jobs: true, counts: true, progress: true, completed_at: true })
  .extend({
    type: z.literal('batch_snapshot'),
    batch_id: uuid,
    jobs: z.array(jobEventMessageSchema).describe('One snapshot per job, each with its latest seq'),
  })
  .meta({ id: 'BatchSnapshot', description: 'First message of a batch subscription' });

const tier = z.enum(['premium', 'standard', 'free']);

const byPriority = z.strictObject({ HIGH: count, NORMAL: count, LOW: count });

const generatorQueueStatsSchema = z
  .strictObject({
    queue: z.string(),
    pending: count,
    delayed: count,
    processing: count,
    pending_by_priority: byPriority,
    completed: count,
    failed: count,
    cancelled: count,
    live_capacity: count.describe('Job slots of live workers serving this generator'),
  })
  .meta({ id: 'GeneratorQueueStats' });

export const queueStatsSchema = z
  .strictObject({
    scope: z.literal('fleet').describe("The operators' view: admin key or GENQ_METRICS_TOKEN"),
    pending: count.describe('Waiting jobs: ready plus delayed'),
    delayed: count,
    processing: count,
    completed: count.describe(
      "Every client's jobs, since the Redis counters were created (admin key / metrics token only)",
    ),
    failed: count.describe('Admin key / metrics token only'),
    cancelled: count.describe('Admin key / metrics token only'),
    pending_by_priority: byPriority,
    oldest_pending_job_age_seconds: z.number().nonnegative().nullable(),
    average_processing_time_seconds: z.number().nonnegative().nullable(),
    completed_last_minute: count,
    live_workers: count,
    job_slots: count.describe('Job slots of the live workers'),
    workers: z
      .array(
        z.strictObject({
          id: z.string(),
          host: z.string(),
          pid: z.number().int(),
          generators: z.array(z.string()),
          concurrency: count,
          running: count,
          last_heartbeat_seconds_ago: z.number().nonnegative(),
        }),
      )
      .describe('Each live worker: id, host and process id (admin key / metrics token only)'),
    queues: z.record(z.string(), generatorQueueStatsSchema).describe('Per generator'),
    scheduling: z
      .strictObject({
        mode: z.enum(['fair', 'strict']),
        weights: z.record(z.string(), z.number()).optional(),
        tiers: z.record(tier, z.strictObject({ waiting: count, running: count })).optional(),
        clients: z
          .array(z.strictObject({ client_id: z.string(), waiting: count, running: count }))
          .optional()
          .describe(
            'The clients with the most waiting or running jobs (admin key / metrics token only)',
          ),
        clients_waiting: count.optional(),
        clients_running: count.optional(),
      })
      .describe('Fair scheduling: waiting and running jobs per tier lane and per client'),
    timestamp,
  })
  .describe(
    "The whole fleet, worker identities and every client's counts included: for the admin " +
      'key or GENQ_METRICS_TOKEN only.',
  )
  .meta({ id: 'QueueStats' });

const clientGeneratorQueueStatsSchema = generatorQueueStatsSchema
  .omit({ completed: true, failed: true, cancelled: true })
  .meta({ id: 'ClientGeneratorQueueStats' });

export const clientQueueStatsSchema = z
  .strictObject({
    scope: z.literal('client').describe("A client key's view"),
    own: z
      .strictObject({
        pending: count.describe('Queued or waiting to retry'),
        processing: count,
        completed: count,
        failed: count,
        cancelled: count,
      })
      .describe("The caller's own jobs, by status"),
    pending: count.describe('Waiting jobs of the whole fleet: ready plus delayed'),
    delayed: count,
    processing: count.describe('Running jobs of the whole fleet'),
    pending_by_priority: byPriority,
    oldest_pending_job_age_seconds: z.number().nonnegative().nullable(),
    average_processing_time_seconds: z.number().nonnegative().nullable(),
    completed_last_minute: count.describe('Fleet-wide throughput'),
    live_workers: count,
    job_slots: count.describe('Job slots of the live workers'),
    queues: z
      .record(z.string(), clientGeneratorQueueStatsSchema)
      .describe('Per generator: depth and live capacity'),
    scheduling: z.strictObject({
      mode: z.enum(['fair', 'strict']),
      weights: z.record(z.string(), z.number()).optional(),
      tiers: z.record(tier, z.strictObject({ waiting: count, running: count })).optional(),
    }),
    timestamp,
  })
  .describe(
    "A client key's view: its own jobs' counts and the fleet-wide figures its positions and " +
      "ETAs follow from, without worker ids, hosts, process ids or other clients' counts.",
  )
  .meta({ id: 'ClientQueueStats' });

export const generatorListSchema = z
  .strictObject({
    generators: z.array(
      z.strictObject({
        name: z.string(),
        description: z.string(),
        requires_gpu: z.boolean(),
        input_schema: z
          .record(z.string(), z.unknown())
          .describe('JSON Schema (2020-12) of the generator input'),
        limits: z
          .strictObject({
            timeout_ms: z
              .number()
              .int()
              .describe(
                'Wall time of one attempt; a job may ask for less (timeout_ms), never more',
              ),
            memory_mb: z.number().int().describe('Heap of the thread one attempt runs in'),
            max_output_bytes: z.number().int().describe('Result bytes one attempt may write'),
            max_output_files: z.number().int().describe('Result files one attempt may create'),
            max_work: z
              .number()
              .int()
              .describe(
                "Work one job may ask for, in the generator's unit (test-data: generation steps; llm, image, music: provider requests; noop: steps); an input whose worst case is above it, or whose worst-case output is above max_output_bytes, is refused at submission (400)",
              ),
          })
          .describe(
            'What one attempt may use; over a limit it fails with timeout, memory_limit or output_limit',
          ),
      }),
    ),
  })
  .meta({ id: 'GeneratorList' });

export const clientViewSchema = z
  .strictObject({
    id: uuid,
    name: z.string(),
    tier,
    max_concurrency: z.number().int().positive().nullable(),
    disabled: z.boolean(),
    created_at: timestamp,
  })
  .meta({ id: 'Client' });

export const clientCreatedSchema = clientViewSchema
  .extend({
    webhook_secret: z.string().describe('Signs webhook deliveries; shown only here'),
  })
  .meta({ id: 'ClientCreated' });

export const clientListSchema = z
  .strictObject({ clients: z.array(clientViewSchema) })
  .meta({ id: 'ClientList' });

export const keyViewSchema = z
  .strictObject({
    id: uuid,
    client_id: uuid,
    name: z.string().nullable(),
    prefix: z.string().describe('The first characters of the key, to recognise it'),
    created_at: timestamp,
    last_used_at: timestamp.nullable(),
    revoked_at: timestamp.nullable(),
  })
  .meta({ id: 'ApiKey' });

export const keyCreatedSchema = keyViewSchema
  .extend({ key: z.string().describe('The secret key; shown only here, stored as a hash') })
  .meta({ id: 'ApiKeyCreated' });

export const keyListSchema = z
  .strictObject({ keys: z.array(keyViewSchema) })
  .meta({ id: 'ApiKeyList' });

const checkStatus = z.enum(['healthy', 'degraded', 'unhealthy']);

export const livenessSchema = z
  .strictObject({
    status: z.literal('ok'),
    version: z.string(),
    uptime_seconds: z.number().nonnegative(),
    timestamp,
  })
  .meta({ id: 'Liveness' });

export const healthReportSchema = z
  .strictObject({
    status: checkStatus.describe('The worst status of the checks'),
    checks: z.record(
      z.string(),
      z.strictObject({
        name: z.string(),
        status: checkStatus,
        message: z.string(),
        details: z.record(z.string(), z.unknown()),
      }),
    ),
    version: z.string(),
    uptime_seconds: z.number().nonnegative(),
    timestamp,
  })
  .meta({ id: 'HealthReport' });

/** Owned by the status service, which adds sections over time: documented as open. */
export const statusSchema = z
  .looseObject({
    version: z.string(),
    timestamp,
    process: z.looseObject({ pid: z.number().int(), uptime_seconds: z.number() }),
    http: z.looseObject({ requests_in_flight: count }),
    websocket: z.looseObject({ connections: count }),
  })
  .meta({ id: 'Status' });

/**
 * Compile-time drift check: `true` only when the schema has exactly the view's fields and its
 * output is assignable to the view. The runtime test validates real responses as well.
 */
type Documents<View, Schema extends z.ZodType> = [keyof View] extends [keyof z.output<Schema>]
  ? [keyof z.output<Schema>] extends [keyof View]
    ? z.output<Schema> extends View
      ? true
      : false
    : false
  : false;

export const documentedViews: [
  Documents<JobView, typeof jobViewSchema>,
  Documents<{ jobs: JobView[]; next_cursor: string | null }, typeof jobListSchema>,
  Documents<BatchAccepted, typeof batchAcceptedSchema>,
  Documents<BatchView, typeof batchViewSchema>,
  Documents<QueueStats, typeof queueStatsSchema>,
  Documents<ClientQueueStats, typeof clientQueueStatsSchema>,
  Documents<GeneratorInfo, typeof generatorListSchema.shape.generators.element>,
  Documents<ReturnType<typeof clientView>, typeof clientViewSchema>,
  Documents<ReturnType<typeof keyView>, typeof keyViewSchema>,
  Documents<HealthReport, typeof healthReportSchema>,
] = [true, true, true, true, true, true, true, true, true, true];
