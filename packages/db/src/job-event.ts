import type { JobEventInput, Stage } from '@genq/core';
import type { JobRecord } from './jobs-repository.ts';

/** The event that describes a job row as it stands now. */
export function jobEventFromRecord(
  job: JobRecord,
  type: JobEventInput['type'] = 'status',
): JobEventInput {
  return {
    type,
    job_id: job.id,
    batch_id: job.batchId,
    client_id: job.clientId,
    status: job.status,
    current_step: job.currentStep as Stage,
    progress: job.progress,
    message: job.message,
    attempts: job.attempts,
    error: job.error ? { code: job.errorCode ?? 'error', message: job.error } : null,
    timestamp: new Date().toISOString(),
  };
}
