import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '@genq/core';
import type { WebhooksRepository } from '@genq/db';
import {
  parseWebhookAllowlist,
  parseWebhookUrl,
  resolveWebhookTarget,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_QUEUE,
  WebhookTargetError,
  type WebhookDeliveryData,
  type WebhookLastDelivery,
  type WebhookLookup,
} from '@genq/queue';
import { postWebhook, WebhookNetworkError, type WebhookPost } from './http-post.ts';
import { signatureHeader } from './signature.ts';

export interface WebhookDelivererDeps {
  repository: Pick<WebhooksRepository, 'findSigningSecret' | 'recordLastDelivery'>;
  /** GENQ_WEBHOOK_ALLOWLIST, checked again before every attempt. */
  allowlist: readonly string[];
  /** Per attempt (GENQ_WEBHOOK_TIMEOUT_MS). */
  timeoutMs: number;
  /** `genq-webhooks/<version>` */
  userAgent: string;
  logger: Logger;
  /** For tests: replace the resolver or the HTTP call. */
  lookup?: WebhookLookup;
  post?: (post: WebhookPost) => Promise<{ status: number }>;
}

interface AttemptResult {
  delivered: boolean;
  /** Worth another attempt: no answer, 429 or 5xx, or a host that did not resolve. */
  retryable: boolean;
  httpStatus: number | null;
  error: string | null;
}

const failure = (retryable: boolean, httpStatus: number | null, error: string): AttemptResult => ({
  delivered: false,
  retryable,
  httpStatus,
  error,
});

/**
 * One delivery attempt per call, as a BullMQ processor: BullMQ's attempts and exponential
 * backoff do the retrying. Each attempt checks the URL again (allowlist, DNS, addresses) and
 * connects only to the addresses it checked; a refused target, a 3xx or another 4xx end the
 * delivery at once (UnrecoverableError). Every attempt's outcome is written on the job row.
 */
export function createWebhookDeliverer(deps: WebhookDelivererDeps) {
  const allowlist = parseWebhookAllowlist(deps.allowlist);
  const post = deps.post ?? postWebhook;

  async function attempt(data: WebhookDeliveryData): Promise<AttemptResult> {
    let url: URL;
    let addresses;
    try {
      url = parseWebhookUrl(data.url, allowlist);
      addresses = await resolveWebhookTarget(url, allowlist, deps.lookup);
    } catch (error) {
      if (!(error instanceof WebhookTargetError)) throw error;
      return failure(error.kind === 'unresolved', null, `refused: ${error.message}`);
    }
    const secret = data.client_id ? await deps.repository.findSigningSecret(data.client_id) : null;
    if (!secret) return failure(false, null, 'the job has no client with a signing secret');
    let status: number;
    try {
      ({ status } = await post({
        url,
        addresses,
        body: data.body,
        timeoutMs: deps.timeoutMs,
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': deps.userAgent,
          'Genq-Event': WEBHOOK_EVENT_TYPES[data.event],
          'Genq-Delivery': data.delivery_id,
          'Genq-Signature': signatureHeader(secret, data.body),
        },
      }));
    } catch (error) {
      if (!(error instanceof WebhookNetworkError)) throw error;
      return failure(true, null, error.message);
    }
    if (status >= 200 && status < 300) {
      return { delivered: true, retryable: false, httpStatus: status, error: null };
    }
    if (status >= 300 && status < 400) {
      return failure(false, status, `answered ${status}: redirects are not followed`);
    }
    return failure(status === 429 || status >= 500, status, `answered ${status}`);
  }

  return async function deliver(job: Job<WebhookDeliveryData>): Promise<void> {
    const data = job.data;
    const attempts = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    let result: AttemptResult;
    try {
      result = await attempt(data);
    } catch (error) {
      // Unexpected (the database, say): another attempt may do better.
      result = failure(true, null, error instanceof Error ? error.message : String(error));
    }
    const last = result.delivered || !result.retryable || attempts >= maxAttempts;
    const outcome: WebhookLastDelivery = {
      id: data.delivery_id,
      event: data.event,
      status: result.delivered ? 'delivered' : last ? 'failed' : 'retrying',
      http_status: result.httpStatus,
      attempts,
      at: new Date().toISOString(),
      error: result.error,
      created_at: data.created_at,
    };
    await deps.repository.recordLastDelivery(data.job_id, outcome).catch((error: unknown) =>
      deps.logger.warn('could not record a webhook delivery', {
        jobId: data.job_id,
        error: String(error),
      }),
    );
    if (result.delivered) return;
    const log = { jobId: data.job_id, delivery: data.delivery_id, attempts, error: result.error };
    if (last) deps.logger.warn('webhook delivery failed', log);
    else deps.logger.info('webhook delivery attempt failed, will retry', log);
    const message = result.error ?? 'delivery failed';
    throw result.retryable ? new Error(message) : new UnrecoverableError(message);
  };
}

export interface WebhookWorkerOptions extends WebhookDelivererDeps {
  /** A connection BullMQ may block on. */
  connection: Redis;
  prefix: string;
  /** Deliveries this process makes at once (GENQ_WEBHOOK_CONCURRENCY). */
  concurrency: number;
}

/** The `webhooks` queue's worker of one worker process. */
export function startWebhookWorker(options: WebhookWorkerOptions): Worker<WebhookDeliveryData> {
  const worker = new Worker<WebhookDeliveryData>(WEBHOOK_QUEUE, createWebhookDeliverer(options), {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
  });
  worker.on('error', (error) =>
    options.logger.error('webhook worker error', { error: String(error) }),
  );
  return worker;
}
