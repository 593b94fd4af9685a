import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { jobEventSchema, type JobEvent, type JobEventInput, type Logger } from '@genq/core';
import type { RedisKeys } from './keys.ts';

/** Live state of a job kept in Redis for a day after its last event. */
const STATE_TTL_SECONDS = 24 * 60 * 60;

/**
 * One round trip per event: bump the job's sequence number, store the event as the job's
 * latest state and publish it. Atomic, so the stored state and the published stream agree.
 * The event JSON arrives without `seq`; the script splices it in after the opening brace.
 *
 * A job's counter starts at the current time in milliseconds (ARGV[4]) rather than at 1, so
 * sequence numbers keep growing even if Redis loses the counter (flush, restart): a job emits
 * far fewer than one event per millisecond, so subscribers that saw the old numbers still
 * accept the events that follow. The number is spliced in as Redis's own string (GET), since
 * Lua would print a large number in exponent form.
 */
const PUBLISH_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[4]) end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
local seq = redis.call('GET', KEYS[1])
local payload = '{"seq":' .. seq .. ',' .. string.sub(ARGV[2], 2)
redis.call('SET', KEYS[2], payload, 'EX', ARGV[3])
redis.call('PUBLISH', ARGV[1], payload)
return seq
`;
const PUBLISH_SHA = createHash('sha1').update(PUBLISH_SCRIPT).digest('hex');

export interface JobEventPublisher {
  publish(event: JobEventInput): Promise<number>;
}

export function createJobEventPublisher(redis: Redis, keys: RedisKeys): JobEventPublisher {
  return {
    async publish(event) {
      const args = [
        2,
        keys.jobSeq(event.job_id),
        keys.jobState(event.job_id),
        keys.eventsChannel,
        JSON.stringify(event),
        STATE_TTL_SECONDS,
        Date.now(),
      ] as const;
      // By hash: the script travels (and Redis hashes it) only when Redis does not have it.
      try {
        return Number(await redis.evalsha(PUBLISH_SHA, ...args));
      } catch (error) {
        if (!String(error).includes('NOSCRIPT')) throw error;
        return Number(await redis.eval(PUBLISH_SCRIPT, ...args));
      }
    },
  };
}

/** Latest event of a job as stored by the publisher, or null when Redis has none. */
export async function readJobState(
  redis: Redis,
  keys: RedisKeys,
  jobId: string,
): Promise<JobEvent | null> {
  const raw = await redis.get(keys.jobState(jobId));
  return raw ? parseJobEvent(raw) : null;
}

export function parseJobEvent(raw: string): JobEvent | null {
  try {
    const parsed = jobEventSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export interface JobEventSubscription {
  close(): Promise<void>;
}

/**
 * Subscribes once per process to the events channel; `onEvent` gets every parsed event.
 * `subscriber` must be a connection dedicated to pub/sub. While `wanted()` says false (an API
 * process with no WebSocket subscriber), events are dropped unparsed: every API process
 * receives every job's events, and parsing them is most of what they cost it.
 */
export async function subscribeJobEvents(
  subscriber: Redis,
  keys: RedisKeys,
  onEvent: (event: JobEvent, raw: string) => void,
  logger: Logger,
  wanted: () => boolean = () => true,
): Promise<JobEventSubscription> {
  const listener = (channel: string, message: string): void => {
    if (channel !== keys.eventsChannel || !wanted()) return;
    const event = parseJobEvent(message);
    if (event) onEvent(event, message);
    else logger.warn('ignored a malformed job event', { channel });
  };
  subscriber.on('message', listener);
  await subscriber.subscribe(keys.eventsChannel);
  return {
    async close() {
      subscriber.off('message', listener);
      await subscriber.unsubscribe(keys.eventsChannel).catch(() => undefined);
    },
  };
}
