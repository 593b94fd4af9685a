import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '@genq/core';
import type { RedisKeys } from './keys.ts';

/** Messages from API processes to every worker process. */
export const controlMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('cancel'), job_id: z.string() }),
]);
export type ControlMessage = z.infer<typeof controlMessageSchema>;

export async function publishControl(
  redis: Redis,
  keys: RedisKeys,
  message: ControlMessage,
): Promise<void> {
  await redis.publish(keys.controlChannel, JSON.stringify(message));
}

export async function subscribeControl(
  subscriber: Redis,
  keys: RedisKeys,
  onMessage: (message: ControlMessage) => void,
  logger: Logger,
): Promise<{ close(): Promise<void> }> {
  const listener = (channel: string, raw: string): void => {
    if (channel !== keys.controlChannel) return;
    let parsed: ReturnType<typeof controlMessageSchema.safeParse>;
    try {
      parsed = controlMessageSchema.safeParse(JSON.parse(raw));
    } catch {
      parsed = controlMessageSchema.safeParse(undefined);
    }
    if (parsed.success) onMessage(parsed.data);
    else logger.warn('ignored a malformed control message');
  };
  subscriber.on('message', listener);
  await subscriber.subscribe(keys.controlChannel);
  return {
    async close() {
      subscriber.off('message', listener);
      await subscriber.unsubscribe(keys.controlChannel).catch(() => undefined);
    },
  };
}
