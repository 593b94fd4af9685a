import { randomUUID } from 'node:crypto';
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '@genq/core';

/**
 * Webhooks: a job may name a URL and the events it wants. Whoever changes the job (worker,
 * API, reconciler) calls `notify(row, event)`, which only adds a delivery to the dedicated
 * BullMQ queue `webhooks`: the HTTP call, its retries and its signature happen in the worker
 * processes' webhook workers, never in the job's own path.
 */
export const WEBHOOK_QUEUE = 'webhooks';

export const WEBHOOK_EVENTS = ['start', 'progress', 'completed', 'failed', 'cancelled'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Events a webhook gets when it names none: all but `progress`. */
export const DEFAULT_WEBHOOK_EVENTS: WebhookEvent[] = ['start', 'completed', 'failed', 'cancelled'];

/** `type` of the delivery body and the `Genq-Event` header, per event. */
export const WEBHOOK_EVENT_TYPES: Record<WebhookEvent, string> = {
  start: 'job.started',
  progress: 'job.progress',
  completed: 'job.completed',
  failed: 'job.failed',
  cancelled: 'job.cancelled',
};

/** At most one `progress` delivery per job per this interval. */
export const WEBHOOK_PROGRESS_INTERVAL_MS = 1_000;

/** What a job row stores in `webhook`. */
export const webhookSubscriptionSchema = z.object({
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
});
export type WebhookSubscription = z.infer<typeof webhookSubscriptionSchema>;

export const WEBHOOK_DELIVERY_STATUSES = ['delivered', 'failed', 'retrying'] as const;

/** What a job row stores in `webhook_last_delivery`: the latest event's delivery. */
export const webhookLastDeliverySchema = z.object({
  /** The delivery id (`Genq-Delivery`). */
  id: z.string(),
  event: z.enum(WEBHOOK_EVENTS),
  status: z.enum(WEBHOOK_DELIVERY_STATUSES),
  /** The receiver's status code; null when no answer came (network error, refused target). */
  http_status: z.number().int().nullable(),
  /** Attempts made so far for this delivery. */
  attempts: z.number().int(),
  /** When the latest attempt ended. */
  at: z.string(),
  error: z.string().nullable(),
  /** When the event happened; a delivery of an older event never replaces a newer one. */
  created_at: z.string(),
});
export type WebhookLastDelivery = z.infer<typeof webhookLastDeliverySchema>;

/** What travels in Redis with a delivery. The body is fixed at enqueue time. */
export interface WebhookDeliveryData {
  delivery_id: string;
  job_id: string;
  /** Whose `webhookSecret` signs it. */
  client_id: string | null;
  event: WebhookEvent;
  url: string;
  created_at: string;
  /** The exact JSON sent (and signed) on every attempt. */
  body: string;
}

/** The fields of a job row a delivery describes (a `JobRecord` fits). */
export interface WebhookJobRow {
  id: string;
  clientId: string | null;
  batchId: string | null;
  generator: string;
  status: string;
  currentStep: string;
  progress: number;
  message: string | null;
  attempts: number;
  error: string | null;
  errorCode: string | null;
  resultSize: bigint | null;
  resultFiles: number | null;
  webhook: unknown;
}

/** The webhook event a status change is, if any. */
export function webhookEventForStatus(status: string): WebhookEvent | null {
  if (status === 'completed' || status === 'failed' || status === 'cancelled') return status;
  return null;
}

export function webhookSubscriptionOf(row: { webhook: unknown }): WebhookSubscription | null {
  if (row.webhook === null || row.webhook === undefined) return null;
  const parsed = webhookSubscriptionSchema.safeParse(row.webhook);
  return parsed.success ? parsed.data : null;
}

/** The delivery body: `{id, type, created_at, data}` with the job as it stood at the event. */
export function webhookBody(
  row: WebhookJobRow,
  event: WebhookEvent,
  deliveryId: string,
  createdAt: string,
): string {
  const self = `/api/v1/jobs/${row.id}`;
  return JSON.stringify({
    id: deliveryId,
    type: WEBHOOK_EVENT_TYPES[event],
    created_at: createdAt,
    data: {
      id: row.id,
      generator: row.generator,
      status: row.status,
      current_step: row.currentStep,
      progress: row.progress,
      message: row.message,
      attempts: row.attempts,
      error: row.error ? { code: row.errorCode ?? 'error', message: row.error } : null,
      result:
        row.status === 'completed' && row.resultSize !== null
          ? {
              url: `${self}/result`,
              size_bytes: Number(row.resultSize),
              files: row.resultFiles ?? 0,
            }
          : null,
      batch_id: row.batchId,
      links: { self },
    },
  });
}

export interface WebhookRetryPolicy {
  /** Attempts per delivery, the first included. */
  maxAttempts: number;
  /** Attempt n + 1 waits delay × 2^(n-1), minus up to 25% jitter. */
  retryDelayMs: number;
}

/** 6 attempts, the last about 8–10 minutes after the first. */
export const DEFAULT_WEBHOOK_RETRY: WebhookRetryPolicy = { maxAttempts: 6, retryDelayMs: 20_000 };

/** BullMQ retries deliveries itself: exponential backoff with jitter, jobId = delivery id. */
export function webhookJobOptions(policy: WebhookRetryPolicy, deliveryId: string): JobsOptions {
  return {
    jobId: deliveryId,
    attempts: policy.maxAttempts,
    backoff: { type: 'exponential', delay: policy.retryDelayMs, jitter: 0.25 },
    removeOnComplete: true,
    // The outcome is on the job row; failed entries stay a day for operators.
    removeOnFail: { age: 24 * 60 * 60 },
  };
}

export interface WebhookNotifierOptions {
  /** A non-blocking connection (BullMQ Queue commands). */
  connection: Redis;
  prefix: string;
  retry: WebhookRetryPolicy;
  logger: Logger;
}

export interface WebhookProgressState {
  stage: string;
  percent: number;
  message: string | null;
}

export interface WebhookNotifier {
  /**
   * Enqueues a delivery of `event` for this row if its webhook wants it. Never throws: a
   * delivery that cannot be enqueued is logged, and the job goes on.
   */
  notify(row: WebhookJobRow, event: WebhookEvent): Promise<void>;
  /**
   * For a running attempt: a function to call with each progress state, which sends a
   * `progress` delivery at most once per second (undefined when the row does not want them).
   */
  progressNotifier(row: WebhookJobRow): ((state: WebhookProgressState) => void) | undefined;
  close(): Promise<void>;
}

export function createWebhookNotifier(options: WebhookNotifierOptions): WebhookNotifier {
  const queue = new Queue<WebhookDeliveryData>(WEBHOOK_QUEUE, {
    connection: options.connection,
    prefix: options.prefix,
  });
  // As for the job queues: an outage shows on the shared connection and in failed commands.
  queue.on('error', () => undefined);

  async function notify(row: WebhookJobRow, event: WebhookEvent): Promise<void> {
    const webhook = webhookSubscriptionOf(row);
    if (!webhook || !webhook.events.includes(event)) return;
    const deliveryId = randomUUID();
    const createdAt = new Date().toISOString();
    const data: WebhookDeliveryData = {
      delivery_id: deliveryId,
      job_id: row.id,
      client_id: row.clientId,
      event,
      url: webhook.url,
      created_at: createdAt,
      body: webhookBody(row, event, deliveryId, createdAt),
    };
    try {
      await queue.add(
        WEBHOOK_EVENT_TYPES[event],
        data,
        webhookJobOptions(options.retry, deliveryId),
      );
    } catch (error) {
      options.logger.warn('could not enqueue a webhook delivery', {
        jobId: row.id,
        event,
        error: String(error),
      });
    }
  }

  return {
    notify,
    progressNotifier(row) {
      const webhook = webhookSubscriptionOf(row);
      if (!webhook?.events.includes('progress')) return undefined;
      let lastSent = 0;
      let lastState = '';
      return (state) => {
        const now = Date.now();
        const key = `${state.stage}|${state.percent}|${state.message ?? ''}`;
        if (now - lastSent < WEBHOOK_PROGRESS_INTERVAL_MS || key === lastState) return;
        lastSent = now;
        lastState = key;
        void notify(
          {
            ...row,
            status: 'running',
            currentStep: state.stage,
            progress: state.percent,
            message: state.message,
          },
          'progress',
        );
      };
    },
    async close() {
      await queue.close();
    },
  };
}
