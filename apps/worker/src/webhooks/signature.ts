import { createHmac } from 'node:crypto';

/**
 * `Genq-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, keyed with the
 * client's webhook secret (the whole `whsec_…` string, as UTF-8). The timestamp is signed
 * too, so a receiver can refuse old deliveries replayed later. docs/webhooks.md shows how to
 * verify it.
 */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export function signatureHeader(secret: string, body: string, now = Date.now()): string {
  const t = Math.floor(now / 1000);
  return `t=${t},v1=${webhookSignature(secret, t, body)}`;
}
