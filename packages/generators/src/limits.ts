import { z } from 'zod';

/** What one attempt of a job may use before the worker stops it. */
export interface ExecutionLimits {
  /** Wall time of one attempt; over it the attempt fails with `timeout`. */
  timeoutMs: number;
  /** Heap of the thread the attempt runs in; over it the attempt fails with `memory_limit`. */
  memoryMb: number;
  /** Bytes of result files one attempt may write; over it, `output_limit`. */
  maxOutputBytes: number;
  /** Result files one attempt may create; over it, `output_limit`. */
  maxOutputFiles: number;
  /**
   * Work one job may ask for, in its generator's unit (`Generator.worstCase`): an input whose
   * worst case is above it is refused at submission.
   */
  maxWork: number;
}

/** As published in GET /api/v1/generators. */
export interface ExecutionLimitsInfo {
  timeout_ms: number;
  memory_mb: number;
  max_output_bytes: number;
  max_output_files: number;
  max_work: number;
}

/** The longest delay a Node timer takes (about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Default of GENQ_JOB_MAX_WORK: 20 billion, about what test-data does within the default
 * one-hour timeout on one core (measured: ~10 M worst-case steps/s for rows of ordinary
 * fields, ~100 M/s inside patterns); far above what the provider-backed generators ask.
 */
export const DEFAULT_MAX_WORK = 20_000_000_000;

const overrideSchema = z
  .object({
    timeout_ms: z.number().int().min(1000).max(MAX_TIMER_MS).optional(),
    memory_mb: z.number().int().min(16).optional(),
    max_output_bytes: z.number().int().min(0).optional(),
    max_output_files: z.number().int().min(0).optional(),
    max_work: z.number().int().min(0).optional(),
  })
  .strict();

/**
 * The limits in the environment, read by the API (which publishes them and checks a job's
 * own timeout against them) and by workers (which enforce them).
 */
export const limitsEnvShape = {
  /** Wall time of one attempt, for every generator that sets none of its own. */
  GENQ_JOB_TIMEOUT_MS: z.coerce.number().int().min(1000).max(MAX_TIMER_MS).default(3_600_000),
  /** Heap limit of the thread one attempt runs in. */
  GENQ_JOB_MEMORY_MB: z.coerce.number().int().min(16).default(512),
  /** Result bytes one attempt may write (1 GiB). */
  GENQ_JOB_MAX_OUTPUT_BYTES: z.coerce.number().int().min(0).default(1_073_741_824),
  /** Result files one attempt may create. */
  GENQ_JOB_MAX_OUTPUT_FILES: z.coerce.number().int().min(0).default(10_000),
  /**
   * Work one job may ask for, in its generator's unit (test-data: generation steps; llm,
   * image, music: provider requests; noop: steps): checked at submission against the
   * generator's worst case of the input.
   */
  GENQ_JOB_MAX_WORK: z.coerce.number().int().min(0).default(DEFAULT_MAX_WORK),
  /**
   * Per generator, over the defaults above and the generator's own, as JSON:
   * `{"test-data":{"timeout_ms":60000,"max_output_bytes":104857600,"max_work":1000000000}}`.
   */
  GENQ_GENERATOR_LIMITS: z
    .string()
    .default('{}')
    .transform((text, ctx) => {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
        return z.NEVER;
      }
      const parsed = z.record(z.string(), overrideSchema).safeParse(value);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          ctx.addIssue({ code: 'custom', message: `${issue.path.join('.')}: ${issue.message}` });
        }
        return z.NEVER;
      }
      return parsed.data;
    }),
};

export interface LimitsSettings {
  GENQ_JOB_TIMEOUT_MS: number;
  GENQ_JOB_MEMORY_MB: number;
  GENQ_JOB_MAX_OUTPUT_BYTES: number;
  GENQ_JOB_MAX_OUTPUT_FILES: number;
  GENQ_JOB_MAX_WORK: number;
  GENQ_GENERATOR_LIMITS: Record<string, z.infer<typeof overrideSchema>>;
}

/** The defaults alone: what a process gets that was given no limit settings. */
export const DEFAULT_LIMITS_SETTINGS: LimitsSettings = z.object(limitsEnvShape).parse({});

/**
 * One generator's limits: its entry in GENQ_GENERATOR_LIMITS, else what the generator itself
 * declares, else the global setting.
 */
export function resolveLimits(
  generator: { name: string; limits?: Partial<ExecutionLimits> },
  settings: LimitsSettings,
): ExecutionLimits {
  const own = generator.limits ?? {};
  const set = settings.GENQ_GENERATOR_LIMITS[generator.name] ?? {};
  return {
    timeoutMs: set.timeout_ms ?? own.timeoutMs ?? settings.GENQ_JOB_TIMEOUT_MS,
    memoryMb: set.memory_mb ?? own.memoryMb ?? settings.GENQ_JOB_MEMORY_MB,
    maxOutputBytes:
      set.max_output_bytes ?? own.maxOutputBytes ?? settings.GENQ_JOB_MAX_OUTPUT_BYTES,
    maxOutputFiles:
      set.max_output_files ?? own.maxOutputFiles ?? settings.GENQ_JOB_MAX_OUTPUT_FILES,
    maxWork: set.max_work ?? own.maxWork ?? settings.GENQ_JOB_MAX_WORK,
  };
}

export function limitsInfo(limits: ExecutionLimits): ExecutionLimitsInfo {
  return {
    timeout_ms: limits.timeoutMs,
    memory_mb: limits.memoryMb,
    max_output_bytes: limits.maxOutputBytes,
    max_output_files: limits.maxOutputFiles,
    max_work: limits.maxWork,
  };
}

/** The wall time of one job's attempts: its own, when it asked for less, else its generator's. */
export function effectiveTimeoutMs(limits: ExecutionLimits, jobTimeoutMs: number | null): number {
  return jobTimeoutMs === null ? limits.timeoutMs : Math.min(jobTimeoutMs, limits.timeoutMs);
}

/** Only the limit settings of a whole configuration (what execution threads are given). */
export function limitsSettingsOf(config: LimitsSettings): LimitsSettings {
  const keys = Object.keys(limitsEnvShape) as (keyof LimitsSettings)[];
  return Object.fromEntries(keys.map((key) => [key, config[key]])) as unknown as LimitsSettings;
}
