import { createHash } from 'node:crypto';
import stableStringify from 'safe-stable-stringify';
import { ConflictError } from '@genq/core';
import type { WebhookRequest } from '../webhooks/webhook-schema.ts';

/** A batch submission's Idempotency-Key and the fingerprint of its body. */
export interface BatchIdempotency {
  key: string;
  /** SHA-256 of the body in canonical form (keys sorted): a retry has the same one. */
  hash: string;
}

export function batchIdempotency(
  key: string | undefined,
  requests: unknown[],
  webhook?: WebhookRequest,
): BatchIdempotency | null {
  if (!key) return null;
  const body = stableStringify({ requests, webhook: webhook ?? null }) ?? '';
  return { key, hash: createHash('sha256').update(body).digest('hex') };
}

/**
 * The batch already created with this key, whose answer a retry gets again; the key used for
 * another body is a 409.
 */
export function assertSameBatchRequest(
  existing: { id: string; requestHash: string | null },
  idempotency: BatchIdempotency,
): void {
  if (existing.requestHash === idempotency.hash) return;
  throw new ConflictError('this Idempotency-Key was used for a different batch', [
    { path: 'headers.idempotency-key', message: `already used by batch ${existing.id}` },
  ]);
}
