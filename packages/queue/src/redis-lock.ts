import type { Redis } from 'ioredis';

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export interface RedisLock {
  /** True when this holder owns the lock now. */
  acquire(): Promise<boolean>;
  /** Extends the lock; false when it was lost (expired and taken by someone else). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * A lock shared by every process using this Redis: SET NX with an expiry, renewed by its
 * holder, released only by its holder (compare-and-delete). If the holder dies, the lock
 * expires after `ttlMs` and someone else may take it.
 */
export function createRedisLock(
  redis: Redis,
  key: string,
  owner: string,
  ttlMs: number,
): RedisLock {
  return {
    async acquire() {
      return (await redis.set(key, owner, 'PX', ttlMs, 'NX')) === 'OK';
    },
    async renew() {
      return Number(await redis.eval(RENEW, 1, key, owner, ttlMs)) === 1;
    },
    async release() {
      await redis.eval(RELEASE, 1, key, owner);
    },
  };
}
