import { z } from 'zod';
import { commonEnvSchema, parseEnv } from '@genq/core';

const apiEnvSchema = commonEnvSchema.extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  /** Public base URL used in links; defaults to the request's own host. */
  GENQ_PUBLIC_URL: z.string().url().optional(),
  /** Retries after the first attempt; a job runs at most GENQ_MAX_RETRIES + 1 times. */
  GENQ_MAX_RETRIES: z.coerce.number().int().min(0).max(20).default(3),
  /** Largest request body accepted, in bytes (413 above). */
  GENQ_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
});

export type ApiConfig = z.infer<typeof apiEnvSchema>;

export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  return parseEnv(apiEnvSchema, env);
}
