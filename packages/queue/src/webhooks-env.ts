import { z } from 'zod';
import { envList } from '@genq/core';
import { parseWebhookAllowlist } from './webhooks-address.ts';

/** Webhook settings read by both the API (checks at submission) and workers (deliveries). */
export const webhookEnvShape = {
  /**
   * Hosts, addresses or CIDRs webhooks may reach although private/loopback (and with http),
   * comma-separated; empty by default.
   */
  GENQ_WEBHOOK_ALLOWLIST: envList.superRefine((entries, ctx) => {
    try {
      parseWebhookAllowlist(entries);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  }),
  /** Attempts per webhook delivery, the first included. */
  GENQ_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
  /** Webhook backoff: attempt n + 1 waits delay × 2^(n-1), minus up to 25%. */
  GENQ_WEBHOOK_RETRY_DELAY_MS: z.coerce.number().int().min(0).default(20_000),
};
