import { z } from 'zod';

/**
 * Environment variables every genq process reads. Each app extends this with its own
 * and parses process.env exactly once, in its entry file.
 */
export const commonEnvSchema = z.object({
  /** PostgreSQL connection string; the database is created by `npm run db:migrate`. */
  DATABASE_URL: z.string().url().default('postgresql://postgres@127.0.0.1:5432/genq'),
  /** Redis connection string (queue, events, locks). */
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /** Prefix of every Redis key and channel genq uses, so several installs can share a Redis. */
  GENQ_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .default('genq'),
  /** Where workers write artifacts and result ZIPs; the API reads results from here. */
  GENQ_ARTIFACTS_DIR: z.string().default('./var/artifacts'),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info'),
  /** Defaults to JSON in production and readable lines otherwise. */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  /** Errors are reported to Sentry only when this is set. */
  SENTRY_DSN: z.string().url().optional(),
});

export type CommonEnv = z.infer<typeof commonEnvSchema>;

/** Parses env with `schema`, exiting with a readable list of problems when it does not fit. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  throw new Error(`invalid configuration:\n${lines.join('\n')}`);
}

/** Booleans in the environment: "true"/"1"/"yes" and "false"/"0"/"no". */
export const envBoolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export function logFormatFor(env: CommonEnv): 'json' | 'pretty' {
  return env.LOG_FORMAT ?? (env.NODE_ENV === 'production' ? 'json' : 'pretty');
}

/** A comma-separated list in the environment: trimmed, empty entries dropped; empty by default. */
export const envList = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
