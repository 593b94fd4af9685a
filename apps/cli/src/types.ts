/**
 * The parts of genq's HTTP and WebSocket answers the CLI reads. Job events and statuses come
 * from @genq/core (the same schema the API publishes); views are the documented JSON.
 */
import type { JobEvent, JobStatus } from '@genq/core';

export type { ErrorDetail, JobEvent, JobStatus } from '@genq/core';

export const PRIORITY_NAMES = ['HIGH', 'NORMAL', 'LOW'] as const;
export type PriorityName = (typeof PRIORITY_NAMES)[number];

/** The body of `POST /api/v1/jobs`, and one item of a batch. */
export interface JobRequest {
  generator: string;
  input: Record<string, unknown>;
  priority?: PriorityName;
  target?: string;
}

/** `GET /api/v1/jobs/:id`. `cancelling` while a running job is being stopped. */
export interface JobView {
  id: string;
  generator: string;
  status: JobStatus | 'cancelling';
  priority: string;
  current_step: string;
  progress: number;
  message: string | null;
  attempts: number;
  max_attempts: number;
  error: { code: string; message: string } | null;
  input: unknown;
  batch_id: string | null;
  target: string | null;
  result: { size_bytes: number; files: number; url: string } | null;
  created_at: string;
  completed_at: string | null;
  duration_seconds: number | null;
  position: number | null;
  eta_seconds: number | null;
}

export interface JobList {
  jobs: JobView[];
  next_cursor: string | null;
}

/** `202` answer of `POST /api/v1/jobs/batch`. */
export interface BatchAccepted {
  batch_id: string;
  job_ids: string[];
  total_jobs: number;
  estimated_total_time_seconds: number;
}

export type BatchStatus =
  'queued' | 'running' | 'completed' | 'completed_with_errors' | 'failed' | 'cancelled';

/** `GET /api/v1/batches/:id`. */
export interface BatchView {
  id: string;
  status: BatchStatus;
  total_jobs: number;
  counts: Record<JobStatus, number>;
  progress: number;
  completed_at: string | null;
  created_at: string;
  jobs: JobView[];
}

/** First WebSocket message of a batch subscription. */
export interface BatchSnapshotMessage {
  type: 'batch_snapshot';
  batch_id: string;
  jobs: JobEvent[];
}

/** What the gateway sends when a command cannot be served. */
export interface WsErrorMessage {
  type: 'error';
  job_id: string | null;
  batch_id?: string;
  error: { code: string; message: string };
}

export const TERMINAL: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

export function isTerminalStatus(status: string): boolean {
  return TERMINAL.has(status);
}
