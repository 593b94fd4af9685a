import type { Redis } from 'ioredis';

/**
 * Outcome counters and throughput buckets for queue stats and ETAs.
 *
 * Why counters in Redis rather than `COUNT(*) … GROUP BY status` in PostgreSQL: the jobs
 * table keeps every finished job forever, so counting completed/failed/cancelled rows reads
 * an index range that grows without bound (millions of entries after a while), while these
 * counters cost O(1) to read and one pipelined round trip per finished job to write.
 * PostgreSQL stays the record; the counters are statistics since the counters were created
 * (a Redis flush resets them), which is what a stats endpoint needs.
 *
 * Keys (all under the install's prefix):
 * - `<prefix>:stats:totals` hash: `completed`, `failed`, `cancelled`, `completed_ms` (sum of
 *   run times of completed jobs) and the same per generator as `<field>:<generator>`.
 * - `<prefix>:stats:tp:<n>` hash per 10-second bucket n (epoch ms / 10,000), kept 6 minutes:
 *   `completed` (all generators), `runs:<generator>` and `run_ms:<generator>` (every attempt
 *   that ran, whatever its outcome, with its run time): the recent throughput per generator.
 */
export const OUTCOMES = ['completed', 'failed', 'cancelled'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const THROUGHPUT_BUCKET_MS = 10_000;
/** Buckets read for throughput (5 minutes). */
export const THROUGHPUT_WINDOW_BUCKETS = 30;
const BUCKET_TTL_SECONDS = 6 * 60;

export function statsKeys(prefix: string) {
  return {
    totals: `${prefix}:stats:totals`,
    bucket: (index: number) => `${prefix}:stats:tp:${index}`,
  };
}

export const bucketIndex = (at: number): number => Math.floor(at / THROUGHPUT_BUCKET_MS);

export interface FinishedAttempt {
  generator: string;
  /** How the job ended; null when the attempt ended but the job will run again (retry). */
  outcome: Outcome | null;
  /** Run time of the attempt; null when the job ended without running (cancelled while waiting). */
  durationMs: number | null;
}

/**
 * Records a finished attempt (3–7 commands): outcome totals, the generator's run count and
 * run time in the current bucket, and the bucket's expiry. They are issued together, so on an
 * auto-pipelined connection they share one write with whatever else that turn sends; they
 * need no transaction (each is an increment, and a reader never needs them to agree).
 */
export async function recordOutcome(
  redis: Redis,
  prefix: string,
  attempt: FinishedAttempt,
  now = Date.now(),
): Promise<void> {
  const keys = statsKeys(prefix);
  const commands: Promise<unknown>[] = [];
  const { generator, outcome } = attempt;
  const ms = attempt.durationMs === null ? null : Math.max(0, Math.round(attempt.durationMs));
  if (outcome) {
    commands.push(redis.hincrby(keys.totals, outcome, 1));
    commands.push(redis.hincrby(keys.totals, `${outcome}:${generator}`, 1));
    if (outcome === 'completed' && ms !== null) {
      commands.push(redis.hincrby(keys.totals, 'completed_ms', ms));
    }
  }
  if (ms !== null || outcome === 'completed') {
    const bucket = keys.bucket(bucketIndex(now));
    if (ms !== null) {
      commands.push(redis.hincrby(bucket, `runs:${generator}`, 1));
      commands.push(redis.hincrby(bucket, `run_ms:${generator}`, ms));
    }
    if (outcome === 'completed') commands.push(redis.hincrby(bucket, 'completed', 1));
    commands.push(redis.expire(bucket, BUCKET_TTL_SECONDS));
  }
  await Promise.all(commands);
}

export interface OutcomeTotals {
  completed: number;
  failed: number;
  cancelled: number;
  /** Sum of the run times of completed jobs. */
  completedMs: number;
  byGenerator: Record<string, Record<Outcome, number>>;
}

/** Totals since the counters were created: one HGETALL of a small hash. */
export async function readOutcomeTotals(redis: Redis, prefix: string): Promise<OutcomeTotals> {
  const raw = await redis.hgetall(statsKeys(prefix).totals);
  const num = (field: string): number => Number(raw[field] ?? 0);
  const byGenerator: OutcomeTotals['byGenerator'] = {};
  for (const [field, value] of Object.entries(raw)) {
    const [outcome, generator] = field.split(/:(.*)/s);
    if (!generator || !(OUTCOMES as readonly string[]).includes(outcome ?? '')) continue;
    byGenerator[generator] ??= { completed: 0, failed: 0, cancelled: 0 };
    byGenerator[generator][outcome as Outcome] = Number(value);
  }
  return {
    completed: num('completed'),
    failed: num('failed'),
    cancelled: num('cancelled'),
    completedMs: num('completed_ms'),
    byGenerator,
  };
}

/**
 * Jobs completed in the last minute: the current 10-second bucket and the five before it,
 * so the window is 50–60 s long. Six HGETs in one round trip.
 */
export async function readCompletedLastMinute(
  redis: Redis,
  prefix: string,
  now = Date.now(),
): Promise<number> {
  const keys = statsKeys(prefix);
  const current = bucketIndex(now);
  const pipeline = redis.pipeline();
  for (let i = 0; i < 6; i += 1) pipeline.hget(keys.bucket(current - i), 'completed');
  const results = (await pipeline.exec()) ?? [];
  return results.reduce((sum, [error, value]) => sum + (error ? 0 : Number(value ?? 0)), 0);
}

export interface RecentRuns {
  /** Attempts of the generator that ended within the window. */
  runs: number;
  /** Their summed run time. */
  runMs: number;
  windowSeconds: number;
}

/** A generator's attempts over the last five minutes: 30 HMGETs in one round trip. */
export async function readRecentRuns(
  redis: Redis,
  prefix: string,
  generator: string,
  now = Date.now(),
): Promise<RecentRuns> {
  const keys = statsKeys(prefix);
  const current = bucketIndex(now);
  const pipeline = redis.pipeline();
  for (let i = 0; i < THROUGHPUT_WINDOW_BUCKETS; i += 1) {
    pipeline.hmget(keys.bucket(current - i), `runs:${generator}`, `run_ms:${generator}`);
  }
  const results = (await pipeline.exec()) ?? [];
  let runs = 0;
  let runMs = 0;
  for (const [error, value] of results) {
    if (error) continue;
    const [r, ms] = value as (string | null)[];
    runs += Number(r ?? 0);
    runMs += Number(ms ?? 0);
  }
  const windowSeconds =
    ((THROUGHPUT_WINDOW_BUCKETS - 1) * THROUGHPUT_BUCKET_MS + (now % THROUGHPUT_BUCKET_MS)) / 1000;
  return { runs, runMs, windowSeconds };
}
