import { isTerminal, type Logger } from '@genq/core';
import { jobEventFromRecord, type JobRecord } from '@genq/db';
import {
  webhookEventForStatus,
  type FinishedAttempt,
  type JobEventPublisher,
  type WebhookNotifier,
} from '@genq/queue';
import type { DurableWrites } from './durable.ts';

/** Observes attempts for Prometheus; `row.status` tells how an attempt ended. */
export interface AttemptMetrics {
  attemptStarted(row: JobRecord): void;
  attemptFinished(row: JobRecord): void;
}

export interface EmitterDeps {
  publisher: JobEventPublisher;
  /** Enqueues webhook deliveries; absent = this process sends none. */
  webhooks?: Pick<WebhookNotifier, 'notify'>;
  /** Counts a finished attempt for queue stats and ETAs. */
  recordAttempt?: (attempt: FinishedAttempt) => Promise<void>;
  metrics?: AttemptMetrics;
  durably: DurableWrites;
  logger: Logger;
}

export interface EmitOptions {
  /** An attempt ran and ended with this transition (its run time is counted). */
  attemptEnded: boolean;
  /** Stop retrying the fan-out (the process must stop, or a request must answer). */
  stop?: AbortSignal;
}

/**
 * What follows every transition, in one place: the job's event (WebSocket clients), its
 * webhook (completed, failed, cancelled) and the outcome counters. The row has landed
 * before this runs; each part is retried through an outage like the row write was, and one
 * part failing never stops the others.
 */
export function createEmitter(deps: EmitterDeps) {
  const attempt = async (what: string, work: () => Promise<unknown>, stop?: AbortSignal) => {
    try {
      await deps.durably(what, work, stop);
    } catch (error) {
      deps.logger.warn(`could not ${what}`, { error: String(error) });
    }
  };

  return async function emit(row: JobRecord, options: EmitOptions): Promise<void> {
    const webhook = webhookEventForStatus(row.status);
    const outcome = isTerminal(row.status) ? (row.status as FinishedAttempt['outcome']) : null;
    if (options.attemptEnded) deps.metrics?.attemptFinished(row);
    const counted = outcome !== null || options.attemptEnded;
    const durationMs =
      options.attemptEnded && row.startedAt ? Date.now() - row.startedAt.getTime() : null;
    const { stop } = options;
    const { webhooks, recordAttempt } = deps;
    await Promise.all([
      attempt('publish a job event', () => deps.publisher.publish(jobEventFromRecord(row)), stop),
      webhook && webhooks
        ? attempt('enqueue a webhook', () => webhooks.notify(row, webhook), stop)
        : undefined,
      counted && recordAttempt
        ? attempt(
            'record a finished attempt',
            () => recordAttempt({ generator: row.generator, outcome, durationMs }),
            stop,
          )
        : undefined,
    ]);
  };
}

export type Emit = ReturnType<typeof createEmitter>;
