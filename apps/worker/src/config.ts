import { z } from 'zod';
import { commonEnvSchema, envList, parseEnv } from '@genq/core';
import { generatorModulesEnvShape, limitsEnvShape } from '@genq/generators';
import { schedulingEnvShape, webhookEnvShape } from '@genq/queue';

const workerEnvSchema = commonEnvSchema.extend({
  /** Jobs one worker process runs at once, per generator queue it serves. */
  GENQ_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(2),
  /** Comma-separated generators this process serves; empty means all of them. */
  GENQ_WORKER_GENERATORS: envList,
  /** Retries after the first attempt; a job runs at most GENQ_MAX_RETRIES + 1 times. */
  GENQ_MAX_RETRIES: z.coerce.number().int().min(0).max(20).default(3),
  /** Base backoff: attempt n waits delay × 2^(n-1), with ±25% jitter. */
  GENQ_RETRY_DELAY_MS: z.coerce.number().int().min(0).default(1000),
  /** On SIGTERM, how long running jobs may take to finish before they are handed back. */
  GENQ_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
  /** BullMQ lock duration: a worker silent this long loses its job to another (stalled). */
  GENQ_LOCK_DURATION_MS: z.coerce.number().int().min(1000).default(30_000),
  /** How often the process writes its heartbeat; the API counts workers whose last one is recent. */
  GENQ_HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).max(10_000).default(5_000),
  /** How often BullMQ checks for stalled jobs. */
  GENQ_STALLED_INTERVAL_MS: z.coerce.number().int().min(500).default(15_000),
  /** How often the reconciler compares PostgreSQL with Redis (also at start). */
  GENQ_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(1000).default(60_000),
  /** A running job untouched this long whose worker has no heartbeat is settled. */
  GENQ_ABANDONED_AFTER_MS: z.coerce.number().int().min(1000).default(60_000),
  /**
   * Priority aging: a LOW or NORMAL job that has waited longer than this (since it was
   * created, or since its last move up) moves up one level. 0 disables it.
   */
  GENQ_PRIORITY_AGING_SECONDS: z.coerce.number().int().min(0).default(300),
  /** OpenAI-compatible API root for the `llm` generator (OpenRouter works); unset = not configured. */
  LLM_BASE_URL: z.string().url().optional(),
  LLM_API_KEY: z.string().optional(),
  /** Model used when a job names none. */
  LLM_DEFAULT_MODEL: z.string().optional(),
  /** Per request to the LLM provider. */
  LLM_TIMEOUT_MS: z.coerce.number().int().min(1000).default(300_000),
  /** How often progress is written to PostgreSQL (events are published more often). */
  GENQ_PROGRESS_DB_INTERVAL_MS: z.coerce.number().int().min(0).default(1000),
  /** How often the process pushes its metrics to Redis, where the API's /metrics reads them; 0 = never. */
  GENQ_METRICS_PUSH_INTERVAL_MS: z.coerce.number().int().min(0).default(10_000),
  /** GENQ_WEBHOOK_ALLOWLIST, GENQ_WEBHOOK_MAX_ATTEMPTS, GENQ_WEBHOOK_RETRY_DELAY_MS. */
  ...webhookEnvShape,
  /** Per webhook delivery attempt: connect, send, receive the status. */
  GENQ_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** Webhook deliveries one worker process makes at once; 0 = none in this process. */
  GENQ_WEBHOOK_CONCURRENCY: z.coerce.number().int().min(0).max(100).default(4),
  /**
   * Where attempts run: `auto` as each generator declares (docs/generators.md), or every
   * generator in a `thread` or on the `main` event loop (benchmarks, debugging).
   */
  GENQ_EXECUTION: z.enum(['auto', 'thread', 'main']).default('auto'),
  /** After a cancel, a timeout or the shutdown deadline, how long an attempt may take to stop before it is terminated. */
  GENQ_KILL_GRACE_MS: z.coerce.number().int().min(0).default(5_000),
  /** GENQ_GENERATOR_MODULES: generators from outside genq (docs/generators.md). */
  ...generatorModulesEnvShape,
  /** GENQ_JOB_TIMEOUT_MS, GENQ_JOB_MEMORY_MB, GENQ_JOB_MAX_OUTPUT_*, GENQ_GENERATOR_LIMITS (docs/reliability.md). */
  ...limitsEnvShape,
  /** GENQ_SCHEDULING, GENQ_TIER_WEIGHTS, GENQ_TIER_CONCURRENCY (docs/scheduling.md). */
  ...schedulingEnvShape,
});

export type WorkerConfig = z.infer<typeof workerEnvSchema>;

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return parseEnv(workerEnvSchema, env);
}
