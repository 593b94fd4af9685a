// The API as the browser sees it: the JSON of /api/v1 and the WebSocket messages.

export type JobStatus = 'queued' | 'running' | 'retrying' | 'completed' | 'failed' | 'cancelled';

export type Stage =
  | 'queued'
  | 'loading_model'
  | 'encoding_prompt'
  | 'generating'
  | 'saving'
  | 'completed'
  | 'failed'
  | 'cancelled';

export const TERMINAL: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

export interface ApiErrorDetail {
  path: string;
  message: string;
}

export interface JobView {
  id: string;
  generator: string;
  /** `cancelling` while a running job has been asked to stop. */
  status: JobStatus | 'cancelling';
  priority: string;
  current_step: Stage;
  progress: number;
  message: string | null;
  attempts: number;
  max_attempts: number;
  retry_count: number;
  next_attempt_at: string | null;
  error: { code: string; message: string } | null;
  batch_id: string | null;
  result: { size_bytes: number; files: number; url: string } | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  duration_seconds: number | null;
  position: number | null;
  eta_seconds: number | null;
  links: { self: string; result: string; websocket: string };
}

export interface JobList {
  jobs: JobView[];
  next_cursor: string | null;
}

/** A job event (snapshot, progress or status change) from the WebSocket. */
export interface JobEvent {
  type: 'snapshot' | 'progress' | 'status';
  job_id: string;
  batch_id?: string | null;
  seq: number;
  status: JobStatus;
  current_step: Stage;
  progress: number;
  message: string | null;
  attempts: number;
  error: { code: string; message: string } | null;
  timestamp?: string;
  position?: number | null;
  eta_seconds?: number | null;
}

export type BatchCounts = Record<JobStatus, number>;

export type BatchStatus =
  'queued' | 'running' | 'completed' | 'completed_with_errors' | 'failed' | 'cancelled';

export interface BatchSnapshot {
  type: 'batch_snapshot';
  batch_id: string;
  status: BatchStatus;
  total_jobs: number;
  counts: BatchCounts;
  progress: number;
  completed_at: string | null;
  jobs: JobEvent[];
}

export interface SocketError {
  type: 'error';
  job_id: string | null;
  batch_id?: string;
  error: { code: string; message: string };
}

export type ServerMessage = JobEvent | BatchSnapshot | SocketError;

export interface BatchAccepted {
  batch_id: string;
  job_ids: string[];
  total_jobs: number;
  estimated_total_time_seconds: number;
}

export interface GeneratorInfo {
  name: string;
  description: string;
  requires_gpu: boolean;
  input_schema: JsonSchema;
}

/** The part of JSON Schema (draft 2020-12, as zod writes it) the form understands. */
export interface JsonSchema {
  type?: string | string[];
  description?: string;
  title?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  examples?: unknown[];
}

/**
 * GET /api/v1/queue/stats: `scope: client` for a client key (its own counts in `own`, no
 * workers, no fleet totals), `scope: fleet` for the admin key or the metrics token.
 */
export interface QueueStats {
  scope: 'client' | 'fleet';
  pending: number;
  delayed: number;
  processing: number;
  /** The caller's own jobs (client key only). */
  own?: {
    pending: number;
    processing: number;
    completed: number;
    failed: number;
    cancelled: number;
  };
  /** Fleet totals (admin key / metrics token only). */
  completed?: number;
  failed?: number;
  cancelled?: number;
  pending_by_priority: Record<'HIGH' | 'NORMAL' | 'LOW', number>;
  oldest_pending_job_age_seconds: number | null;
  average_processing_time_seconds: number | null;
  completed_last_minute: number;
  live_workers: number;
  job_slots: number;
  /** Admin key / metrics token only. */
  workers?: {
    id: string;
    host: string;
    pid: number;
    generators: string[];
    concurrency: number;
    running: number;
    last_heartbeat_seconds_ago: number;
  }[];
  timestamp: string;
}
