import type { Database } from './client.ts';

/** What `jobs.webhook_last_delivery` holds (see WebhookLastDelivery in @genq/queue). */
export interface WebhookDeliveryOutcome {
  /** The delivery id. */
  id: string;
  /** When the delivered event happened (ISO-8601 UTC). */
  created_at: string;
  [field: string]: unknown;
}

/** The reads and writes of webhook deliveries. */
export function createWebhooksRepository(db: Database) {
  return {
    /** The signing secret of a client; null when the client does not exist. */
    async findSigningSecret(clientId: string): Promise<string | null> {
      const client = await db.client.findUnique({
        where: { id: clientId },
        select: { webhookSecret: true },
      });
      return client?.webhookSecret ?? null;
    },

    /**
     * Records the outcome of a delivery attempt as the job's last delivery, unless the row
     * already shows a newer event's delivery (deliveries of one job may finish out of order).
     * `updated_at` is left alone: a delivery is not a change of the job.
     */
    async recordLastDelivery(jobId: string, outcome: WebhookDeliveryOutcome): Promise<void> {
      await db.$executeRaw`
        UPDATE jobs SET webhook_last_delivery = ${JSON.stringify(outcome)}::jsonb
        WHERE id = ${jobId}::uuid
          AND (webhook_last_delivery IS NULL
            OR webhook_last_delivery->>'id' = ${outcome.id}
            OR webhook_last_delivery->>'created_at' <= ${outcome.created_at})`;
    },
  };
}

export type WebhooksRepository = ReturnType<typeof createWebhooksRepository>;
