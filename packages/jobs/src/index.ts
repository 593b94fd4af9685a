export * from './lifecycle.ts';
export type { Attempt, FailedAttempt } from './attempt.ts';
export type { CancelOutcome } from './cancellation.ts';
export type { RescueReport } from './rescue.ts';
export type { AttemptMetrics } from './emitter.ts';
export { isOutage, WriteNotLandedError } from './durable.ts';
export { currentState, type JobState } from './live-view.ts';
export { enqueueRequest } from './submission.ts';
export { retryDelayMs } from './backoff.ts';
