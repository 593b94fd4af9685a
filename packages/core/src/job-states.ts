/** Where a job stands in its lifecycle. `retrying` sits between attempts. */
export const JOB_STATUSES = [
  'queued',
  'running',
  'retrying',
  'completed',
  'failed',
  'cancelled',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set([
  'completed',
  'failed',
  'cancelled',
]);

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/**
 * Pipeline stages a generator reports (`current_step`). Generators move through
 * the working stages in order; the last three are set by genq itself.
 */
export const STAGES = [
  'queued',
  'loading_model',
  'encoding_prompt',
  'generating',
  'saving',
  'completed',
  'failed',
  'cancelled',
] as const;
export type Stage = (typeof STAGES)[number];

export const WORKING_STAGES = ['loading_model', 'encoding_prompt', 'generating', 'saving'] as const;
export type WorkingStage = (typeof WORKING_STAGES)[number];

export function stageIndex(stage: Stage): number {
  return STAGES.indexOf(stage);
}
