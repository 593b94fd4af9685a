import { z } from 'zod';
import { commonEnvSchema, parseEnv } from '@genq/core';
import { DEFAULT_MAX_BATCH_SIZE } from './batches/batch-schemas.ts';

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
});

export type ApiConfig = z.infer<typeof apiEnvSchema>;

export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  return parseEnv(apiEnvSchema, env);
}
