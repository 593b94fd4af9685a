/** An attempt ran past its wall-time limit; it fails for good with `timeout`. */
export class AttemptTimeoutError extends Error {
  readonly code = 'timeout';
  constructor(timeoutMs: number) {
    super(`the attempt ran past its time limit of ${timeoutMs} ms`);
    this.name = 'AttemptTimeoutError';
  }
}

export interface AttemptWatch {
  /** Why the attempt is being stopped (the signal's reason or an AttemptTimeoutError). */
  stopReason(): unknown;
  stopping(): boolean;
  dispose(): void;
}

/**
 * The two steps of stopping an attempt, the same wherever it runs. On cancel or shutdown
 * (`signal`) or at its wall-time limit, `onStop` asks the generator to stop (its
 * AbortSignal); `killGraceMs` later, if it has not ended, `onKill` stops it by force.
 */
export function watchAttempt(options: {
  signal: AbortSignal;
  timeoutMs: number;
  killGraceMs: number;
  onStop(reason: unknown): void;
  onKill(): void;
}): AttemptWatch {
  let reason: unknown;
  let stopping = false;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (why: unknown): void => {
    if (stopping) return;
    stopping = true;
    reason = why;
    clearTimeout(timeout);
    options.onStop(why);
    killTimer = setTimeout(options.onKill, options.killGraceMs);
  };
  const timeout = setTimeout(
    () => stop(new AttemptTimeoutError(options.timeoutMs)),
    options.timeoutMs,
  );
  const onAbort = (): void => stop(options.signal.reason);
  if (options.signal.aborted) onAbort();
  else options.signal.addEventListener('abort', onAbort, { once: true });
  return {
    stopReason: () => reason,
    stopping: () => stopping,
    dispose() {
      clearTimeout(timeout);
      clearTimeout(killTimer);
      options.signal.removeEventListener('abort', onAbort);
    },
  };
}
