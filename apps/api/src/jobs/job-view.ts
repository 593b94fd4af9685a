import { priorityName, type JobEvent } from '@genq/core';
import type { JobRecord } from '@genq/db';
import { currentState } from '@genq/jobs';
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
  /** The wall time of one attempt this job asked for; null = its generator's limit. */
  timeout_ms: number | null;
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
  // The same rule as WebSocket snapshots: the row, overlaid with the fresher live state.
  const state = currentState(job, live);
  return {
    id: job.id,
    generator: job.generator,
    status: state.status === 'running' && job.cancelRequestedAt ? 'cancelling' : state.status,
    priority: priorityName(job.priority),
    current_step: state.current_step,
    progress: state.progress,
    message: state.message,
    attempts: state.attempts,
    max_attempts: job.maxAttempts,
    retry_count: Math.max(0, state.attempts - 1),
    next_attempt_at: iso(job.nextAttemptAt),
    error: state.error,
    input: job.input,
    batch_id: job.batchId,
    target: job.target,
    timeout_ms: job.timeoutMs,
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
