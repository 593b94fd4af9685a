import { isTerminal, priorityName, type JobEvent } from '@genq/core';
import type { JobRecord } from '@genq/db';
import { NOT_WAITING, type QueuePlacement } from '../queue/queue-positions.ts';
import { toWebhookView, type WebhookView } from '../webhooks/webhook-view.ts';

/** A job as clients see it (snake_case JSON, ISO-8601 UTC timestamps). */
export interface JobView {
  id: string;
  generator: string;
  /** `cancelling` while a running job has been asked to stop. */
  status: JobRecord['status'] | 'cancelling';
  priority: string;
  current_step: string;
  progress: number;
  message: string | null;
  attempts: number;
  max_attempts: number;
  retry_count: number;
  next_attempt_at: string | null;
  error: { code: string; message: string } | null;
  input: unknown;
  batch_id: string | null;
  target: string | null;
  result: { size_bytes: number; files: number; url: string } | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  completed_at: string | null;
  duration_seconds: number | null;
  /**
   * Jobs that will start before this one (priorities counted); null when it is not waiting.
   * Read for one job (GET, submission, WebSocket snapshot); lists leave it null.
   */
  position: number | null;
  /** Rough seconds until it completes; null when not waiting or unknown. */
  eta_seconds: number | null;
  /** The job's webhook and its last delivery; null when it has none. */
  webhook: WebhookView | null;
  links: { self: string; result: string; websocket: string };
}

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

export function toJobView(
  job: JobRecord,
  live?: JobEvent | null,
  placement: QueuePlacement = NOT_WAITING,
): JobView {
  const self = `/api/v1/jobs/${job.id}`;
  // The row decides the status; the live state from Redis adds the progress made since the
  // last (throttled) row write, as long as it describes the same status.
  const fresh = live && live.status === job.status && !isTerminal(job.status);
  return {
    id: job.id,
    generator: job.generator,
    status: job.status === 'running' && job.cancelRequestedAt ? 'cancelling' : job.status,
    priority: priorityName(job.priority),
    current_step: fresh ? live.current_step : job.currentStep,
    progress: fresh ? live.progress : job.progress,
    message: fresh ? live.message : job.message,
    attempts: job.attempts,
    max_attempts: job.maxAttempts,
    retry_count: Math.max(0, job.attempts - 1),
    next_attempt_at: iso(job.nextAttemptAt),
    error: job.error ? { code: job.errorCode ?? 'error', message: job.error } : null,
    input: job.input,
    batch_id: job.batchId,
    target: job.target,
    result:
      job.status === 'completed' && job.resultSize !== null
        ? { size_bytes: Number(job.resultSize), files: job.resultFiles ?? 0, url: `${self}/result` }
        : null,
    created_at: job.createdAt.toISOString(),
    updated_at: job.updatedAt.toISOString(),
    started_at: iso(job.startedAt),
    completed_at: iso(job.completedAt),
    duration_seconds:
      job.startedAt && job.completedAt
        ? (job.completedAt.getTime() - job.startedAt.getTime()) / 1000
        : null,
    position: placement.position,
    eta_seconds: placement.eta_seconds,
    webhook: toWebhookView(job),
    links: { self, result: `${self}/result`, websocket: `/ws/${job.id}` },
  };
}
