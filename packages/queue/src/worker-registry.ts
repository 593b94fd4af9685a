import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { RedisKeys } from './keys.ts';

/** A worker process's heartbeat, written every few seconds to the workers hash. */
export const heartbeatSchema = z.object({
  id: z.string(),
  pid: z.number(),
  host: z.string(),
  generators: z.array(z.string()),
  concurrency: z.number(),
  running: z.number(),
  /** Ids of the jobs it runs: the reconciler leaves a running row alone while its worker lists it. */
  jobs: z.array(z.string()).optional(),
  at: z.number(),
});
export type Heartbeat = z.infer<typeof heartbeatSchema>;

/** A worker whose heartbeat is older than this is considered gone. */
export const HEARTBEAT_STALE_MS = 20_000;

export async function writeHeartbeat(
  redis: Redis,
  keys: RedisKeys,
  beat: Heartbeat,
): Promise<void> {
  await redis.hset(keys.workers, beat.id, JSON.stringify(beat));
}

/** Live workers; stale entries (a process that died without saying goodbye) are pruned. */
export async function liveWorkers(
  redis: Redis,
  keys: RedisKeys,
  now = Date.now(),
): Promise<Heartbeat[]> {
  const all = await redis.hgetall(keys.workers);
  const live: Heartbeat[] = [];
  const stale: string[] = [];
  for (const [id, raw] of Object.entries(all)) {
    let parsed: ReturnType<typeof heartbeatSchema.safeParse>;
    try {
      parsed = heartbeatSchema.safeParse(JSON.parse(raw));
    } catch {
      parsed = heartbeatSchema.safeParse(null);
    }
    if (parsed.success && now - parsed.data.at < HEARTBEAT_STALE_MS) live.push(parsed.data);
    else stale.push(id);
  }
  if (stale.length > 0) await redis.hdel(keys.workers, ...stale);
  return live;
}
