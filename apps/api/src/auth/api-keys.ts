import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Every genq key starts with this, so a leaked key is recognisable (secret scanners). */
export const KEY_PREFIX = 'genq_';
const KEY_PATTERN = /^genq_[A-Za-z0-9_-]{43}$/;

export interface NewApiKey {
  /** The secret, shown once. */
  key: string;
  /** What is stored: SHA-256 of the key (a 256-bit random key needs no slow hash). */
  hash: string;
  /** Enough to recognise the key in a list, not to use it. */
  prefix: string;
}

export function generateApiKey(): NewApiKey {
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, hash: hashApiKey(key), prefix: key.slice(0, KEY_PREFIX.length + 8) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function looksLikeApiKey(value: string): boolean {
  return KEY_PATTERN.test(value);
}

/** Constant-time comparison of two secrets of any length. */
export function secretsEqual(a: string, b: string): boolean {
  const [ha, hb] = [
    createHash('sha256').update(a).digest(),
    createHash('sha256').update(b).digest(),
  ];
  return timingSafeEqual(ha, hb);
}

export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
