import { UnrecoverableGenerationError } from '@genq/core';
import type { GenerationSummary } from '@genq/generators';
import { AttemptTimeoutError, type AttemptWatch } from './attempt-watch.ts';
import type { ExecutionOutcome } from './executor.ts';

/**
 * What an attempt's end means, in order: it was being stopped (cancel, shutdown, timeout),
 * it wrote past its budget, it threw, or it succeeded. `ended` is null when it was let go.
 */
export function outcomeOf(
  watch: AttemptWatch,
  breach: Error | null,
  ended: { summary: GenerationSummary | void } | { error: unknown } | null,
): ExecutionOutcome {
  if (watch.stopping()) {
    const reason = watch.stopReason();
    if (reason instanceof AttemptTimeoutError)
      return { kind: 'limit', code: 'timeout', error: reason };
    return { kind: 'stopped', reason };
  }
  if (breach) return { kind: 'limit', code: 'output_limit', error: breach };
  if (ended === null) return { kind: 'crashed', error: new Error('the attempt was let go') };
  if ('error' in ended) {
    const error = ended.error instanceof Error ? ended.error : new Error(String(ended.error));
    return {
      kind: 'failed',
      error,
      retryable: !(ended.error instanceof UnrecoverableGenerationError),
    };
  }
  return { kind: 'succeeded', summary: ended.summary };
}
