import {
  webhookLastDeliverySchema,
  webhookSubscriptionOf,
  type WebhookEvent,
  type WebhookLastDelivery,
} from '@genq/queue';

/** A job's webhook as clients see it. */
export interface WebhookView {
  url: string;
  events: WebhookEvent[];
  /** The delivery of the latest event so far; null before the first. */
  last_delivery: Omit<WebhookLastDelivery, 'created_at'> | null;
}

export function toWebhookView(job: {
  webhook: unknown;
  webhookLastDelivery: unknown;
}): WebhookView | null {
  const webhook = webhookSubscriptionOf(job);
  if (!webhook) return null;
  const parsed = webhookLastDeliverySchema.safeParse(job.webhookLastDelivery);
  let last: WebhookView['last_delivery'] = null;
  if (parsed.success) {
    const { id, event, status, http_status, attempts, at, error } = parsed.data;
    last = { id, event, status, http_status, attempts, at, error };
  }
  return { url: webhook.url, events: webhook.events, last_delivery: last };
}
