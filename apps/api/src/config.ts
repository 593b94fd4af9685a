import { z } from 'zod';
import { commonEnvSchema, envBoolean, envList, parseEnv } from '@genq/core';
import { generatorModulesEnvShape, limitsEnvShape } from '@genq/generators';
import { schedulingEnvShape, webhookEnvShape } from '@genq/queue';
import { DEFAULT_MAX_BATCH_SIZE } from './batches/batch-schemas.ts';
import { DEFAULT_SOCKET_LIMITS } from './ws/socket-limits.ts';

const apiEnvSchema = commonEnvSchema.extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  /** Public base URL used in links; defaults to the request's own host. */
  GENQ_PUBLIC_URL: z.string().url().optional(),
  /** Retries after the first attempt; a job runs at most GENQ_MAX_RETRIES + 1 times. */
  GENQ_MAX_RETRIES: z.coerce.number().int().min(0).max(20).default(3),
  /** Largest request body accepted, in bytes (413 above). */
  GENQ_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  /**
   * Most jobs allowed to wait (queued or waiting to retry, all generators); above it,
   * submissions answer 503 queue_full with Retry-After and write nothing. 0 = no limit.
   */
  GENQ_QUEUE_MAX_PENDING: z.coerce.number().int().min(0).default(100_000),
  /** Most requests one POST /api/v1/jobs/batch may hold; a larger batch is rejected (400). */
  GENQ_MAX_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(DEFAULT_MAX_BATCH_SIZE),
  /** Manages clients and keys (`/api/v1/admin`, `genq keys`); admin routes are closed without it. */
  GENQ_ADMIN_KEY: z.string().min(32, 'use at least 32 characters').optional(),
  /** Rate limiting on or off. */
  GENQ_RATE_LIMIT_ENABLED: envBoolean.default(true),
  /** The rate limit window. */
  GENQ_RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(1000).default(60_000),
  /** Requests per window per API key, by the key's client tier. */
  GENQ_RATE_LIMIT_PREMIUM: z.coerce.number().int().min(1).default(1200),
  GENQ_RATE_LIMIT_STANDARD: z.coerce.number().int().min(1).default(600),
  GENQ_RATE_LIMIT_FREE: z.coerce.number().int().min(1).default(120),
  /** Requests per window per address on routes that need no key. */
  GENQ_RATE_LIMIT_ANONYMOUS: z.coerce.number().int().min(1).default(120),
  /** Addresses never rate limited, comma-separated (empty by default). */
  GENQ_RATE_LIMIT_ALLOWLIST: envList,
  /**
   * Express `trust proxy`: unset trusts no proxy, so X-Forwarded-For is ignored; set it to a
   * hop count (`1`) or addresses (`loopback`, `10.0.0.0/8`) when genq runs behind a proxy.
   */
  GENQ_TRUST_PROXY: z.string().optional(),
  /** Browser origins allowed by CORS, comma-separated; empty allows none (same origin only). */
  GENQ_CORS_ORIGINS: envList,
  /** Open WebSockets one API key may hold. */
  GENQ_WS_MAX_SOCKETS_PER_KEY: z.coerce.number().int().min(1).default(100),
  /** Job and batch subscriptions one WebSocket may hold; one more closes it (1008). */
  GENQ_WS_MAX_SUBSCRIPTIONS: z.coerce
    .number()
    .int()
    .min(1)
    .default(DEFAULT_SOCKET_LIMITS.maxSubscriptions),
  /** Messages per second one WebSocket may send, sustained; above it, it is closed (1008)… */
  GENQ_WS_MESSAGES_PER_SECOND: z.coerce
    .number()
    .min(1)
    .default(DEFAULT_SOCKET_LIMITS.messagesPerSecond),
  /** …after a burst of this many at once (enough to resubscribe GENQ_WS_MAX_SUBSCRIPTIONS). */
  GENQ_WS_MESSAGE_BURST: z.coerce.number().int().min(1).default(DEFAULT_SOCKET_LIMITS.messageBurst),
  /** When set, GET /metrics and GET /status need `Authorization: Bearer <token>`; open otherwise. */
  GENQ_METRICS_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  /** GET /api/v1/health: disk_space is degraded below this percentage free in GENQ_ARTIFACTS_DIR… */
  GENQ_HEALTH_DISK_DEGRADED_PERCENT: z.coerce.number().min(0).max(100).default(10),
  /** …and unhealthy (503) below this one. */
  GENQ_HEALTH_DISK_UNHEALTHY_PERCENT: z.coerce.number().min(0).max(100).default(2),
  /** GENQ_GENERATOR_MODULES: generators from outside genq; the workers must load the same. */
  ...generatorModulesEnvShape,
  /** GENQ_JOB_TIMEOUT_MS, GENQ_JOB_MEMORY_MB, GENQ_JOB_MAX_OUTPUT_*, GENQ_GENERATOR_LIMITS (docs/reliability.md). */
  ...limitsEnvShape,
  /** GENQ_SCHEDULING, GENQ_TIER_WEIGHTS, GENQ_TIER_CONCURRENCY (docs/scheduling.md). */
  ...schedulingEnvShape,
  /** GENQ_WEBHOOK_ALLOWLIST, GENQ_WEBHOOK_MAX_ATTEMPTS, GENQ_WEBHOOK_RETRY_DELAY_MS. */
  ...webhookEnvShape,
});

export type ApiConfig = z.infer<typeof apiEnvSchema>;

export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  return parseEnv(apiEnvSchema, env);
}
