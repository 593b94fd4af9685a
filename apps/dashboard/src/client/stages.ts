import type { JobStatus, Stage } from './types.ts';

/** The pipeline as the dashboard draws it: four working stages between queued and the end. */
export const PIPELINE = [
  'queued',
  'loading_model',
  'encoding_prompt',
  'generating',
  'saving',
  'end',
] as const;
export type PipelineStep = (typeof PIPELINE)[number];

const WORKING: readonly Stage[] = ['loading_model', 'encoding_prompt', 'generating', 'saving'];

export type StepState = 'done' | 'active' | 'pending' | 'failed' | 'cancelled';

export interface StepView {
  step: PipelineStep;
  label: string;
  state: StepState;
}

const LABELS: Record<PipelineStep, string> = {
  queued: 'queued',
  loading_model: 'loading model',
  encoding_prompt: 'encoding prompt',
  generating: 'generating',
  saving: 'saving',
  end: 'done',
};

/**
 * The state of each step for a job. Stages a generator skips (noop goes from queued straight
 * to generating) count as passed. A failed or cancelled job marks the stage it stopped in,
 * when known (`lastWorking`: the latest working stage the page saw), and the end step.
 */
export function pipelineSteps(
  status: JobStatus | 'cancelling',
  currentStep: Stage,
  lastWorking: Stage | null = null,
): StepView[] {
  const view = (step: PipelineStep, state: StepState, label = LABELS[step]): StepView => ({
    step,
    label,
    state,
  });
  if (status === 'completed') return PIPELINE.map((step) => view(step, 'done'));

  if (status === 'failed' || status === 'cancelled') {
    const stoppedAt = lastWorking && WORKING.includes(lastWorking) ? lastWorking : null;
    const at = stoppedAt ? (PIPELINE as readonly string[]).indexOf(stoppedAt) : -1;
    return PIPELINE.map((step, index) => {
      if (step === 'end') return view(step, status, status);
      if (at < 0) return view(step, index === 0 ? 'done' : 'pending');
      if (index < at) return view(step, 'done');
      if (index === at) return view(step, status);
      return view(step, 'pending');
    });
  }

  if (status === 'queued' || status === 'retrying') {
    return PIPELINE.map((step, index) =>
      index === 0
        ? view(step, 'active', status === 'retrying' ? 'waiting to retry' : 'queued')
        : view(step, 'pending'),
    );
  }

  // running or cancelling
  const working = WORKING.includes(currentStep) ? currentStep : 'loading_model';
  const at = PIPELINE.indexOf(working as PipelineStep);
  return PIPELINE.map((step, index) =>
    view(step, index < at ? 'done' : index === at ? 'active' : 'pending'),
  );
}

export function isWorkingStage(stage: Stage): boolean {
  return WORKING.includes(stage);
}
