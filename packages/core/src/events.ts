import { z } from 'zod';
import { JOB_STATUSES, STAGES } from './job-states.ts';

/**
 * A job's live state as it travels worker → Redis pub/sub → API → WebSocket.
 * `seq` grows by one per event of a job (assigned atomically in Redis), so a client can
 * tell what it missed; every (re)subscription starts with a snapshot carrying the latest seq.
 */
export const jobEventSchema = z.object({
  type: z.enum(['snapshot', 'progress', 'status']),
  job_id: z.string(),
  batch_id: z.string().nullable(),
  client_id: z.string().nullable(),
  seq: z.number().int().nonnegative(),
  status: z.enum(JOB_STATUSES),
  current_step: z.enum(STAGES),
  progress: z.number().min(0).max(100),
  message: z.string().nullable(),
  attempts: z.number().int().nonnegative(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  timestamp: z.string(),
  /** Waiting jobs only, in snapshots: jobs that will start first (priorities counted). */
  position: z.number().int().nonnegative().nullable().optional(),
  /** Waiting jobs only, in snapshots: rough seconds until the job completes. */
  eta_seconds: z.number().nonnegative().nullable().optional(),
});

export type JobEvent = z.infer<typeof jobEventSchema>;
/** What a publisher sends; Redis assigns `seq`. */
export type JobEventInput = Omit<JobEvent, 'seq'>;
