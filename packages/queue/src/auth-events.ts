import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '@genq/core';
import type { RedisKeys } from './keys.ts';

/** Told to every API process so each forgets cached keys and closes their sockets. */
export const authEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('key_revoked'), key_id: z.string() }),
  z.object({ type: z.literal('client_disabled'), client_id: z.string() }),
]);
export type AuthEvent = z.infer<typeof authEventSchema>;

export async function publishAuthEvent(
  redis: Redis,
  keys: RedisKeys,
  event: AuthEvent,
): Promise<void> {
  await redis.publish(keys.authChannel, JSON.stringify(event));
}

export async function subscribeAuthEvents(
  subscriber: Redis,
  keys: RedisKeys,
  onEvent: (event: AuthEvent) => void,
  logger: Logger,
): Promise<{ close(): Promise<void> }> {
  const listener = (channel: string, raw: string): void => {
    if (channel !== keys.authChannel) return;
    try {
      const parsed = authEventSchema.safeParse(JSON.parse(raw));
      if (parsed.success) onEvent(parsed.data);
      else logger.warn('ignored a malformed auth event');
    } catch {
      logger.warn('ignored a malformed auth event');
    }
  };
  subscriber.on('message', listener);
  await subscriber.subscribe(keys.authChannel);
  return {
    async close() {
      subscriber.off('message', listener);
      await subscriber.unsubscribe(keys.authChannel).catch(() => undefined);
    },
  };
}
