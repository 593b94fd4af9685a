import type { Redis } from 'ioredis';
import { z } from 'zod';

/**
 * Worker processes serve no HTTP. Each one writes its prom-client registry as JSON into this
 * hash every GENQ_METRICS_PUSH_INTERVAL_MS (worker id → entry; apps/worker/src/worker-metrics.ts
 * writes it with the same key and shape), and the API's /metrics merges the live entries.
 */
export const fleetMetricsKey = (prefix: string): string => `${prefix}:metrics:workers`;

const entrySchema = z.object({
  id: z.string(),
  at: z.number(),
  interval_ms: z.number().positive(),
  generators: z.array(z.string()),
  gpus: z.array(z.object({ name: z.string(), memory_total: z.string() })),
  metrics: z.array(z.record(z.string(), z.unknown())),
});

export type FleetEntry = z.infer<typeof entrySchema>;

/** An entry older than this many push intervals belongs to a worker that is gone. */
const STALE_INTERVALS = 3;
/** …and never younger than this, so a short interval does not drop a busy worker. */
const MIN_STALE_MS = 15_000;

/**
 * The entries of live workers. Stale entries (a worker that died without removing its own)
 * and unreadable ones are deleted, as `liveWorkers` does with heartbeats.
 */
export async function readFleet(redis: Redis, prefix: string, now = Date.now()) {
  const key = fleetMetricsKey(prefix);
  const all = await redis.hgetall(key);
  const live: FleetEntry[] = [];
  const stale: string[] = [];
  for (const [id, raw] of Object.entries(all)) {
    let parsed: FleetEntry | null = null;
    try {
      const result = entrySchema.safeParse(JSON.parse(raw));
      if (result.success) parsed = result.data;
    } catch {
      parsed = null;
    }
    const maxAge = parsed ? Math.max(MIN_STALE_MS, parsed.interval_ms * STALE_INTERVALS) : 0;
    if (parsed && now - parsed.at <= maxAge) live.push(parsed);
    else stale.push(id);
  }
  if (stale.length > 0) await redis.hdel(key, ...stale);
  return live;
}
