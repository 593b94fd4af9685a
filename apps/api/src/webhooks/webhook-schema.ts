import { z } from 'zod';
import { WEBHOOK_EVENTS, WEBHOOK_URL_MAX_LENGTH, webhookUrlProblem } from '@genq/queue';

/**
 * The `webhook` field of a job (or batch) request. Only the rules that need no configuration
 * live here; the allowlist and the DNS check run in the service (webhook-targets.ts).
 */
export const webhookRequestSchema = z
  .object({
    url: z
      .string()
      .min(1)
      .max(WEBHOOK_URL_MAX_LENGTH)
      .superRefine((value, ctx) => {
        // Empty and too long are reported by min/max already.
        if (value.length === 0 || value.length > WEBHOOK_URL_MAX_LENGTH) return;
        const problem = webhookUrlProblem(value);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .describe(
        'https URL that receives signed POSTs (http only for allowlisted hosts); ' +
          'must not resolve to a private, loopback or link-local address',
      ),
    events: z
      .array(z.enum(WEBHOOK_EVENTS))
      .min(1)
      .max(WEBHOOK_EVENTS.length)
      .optional()
      .describe('Events to deliver; defaults to start, completed, failed and cancelled'),
  })
  .strict()
  .describe('Signed HTTP callbacks about this job (see docs/webhooks.md)');

export type WebhookRequest = z.infer<typeof webhookRequestSchema>;
