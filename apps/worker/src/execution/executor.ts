import type { Logger, WorkingStage } from '@genq/core';
import type { ExecutionLimits, GenerationSummary } from '@genq/generators';

/** One attempt to execute: which generator, on what, where its files go, within what. */
export interface ExecutionRequest {
  generator: string;
  /** As stored; the executor parses it with the generator's schema. */
  input: unknown;
  jobId: string;
  attempt: number;
  /** The attempt's staging folder: its result files are written here. */
  outputDir: string;
  /** The generator's limits, with the job's own timeout applied. */
  limits: ExecutionLimits;
}

export interface ExecutionHooks {
  /** Fires on cancel or shutdown; its reason says which (JobCancelledError, WorkerShutdownError). */
  signal: AbortSignal;
  progress(stage: WorkingStage, percent: number, message?: string): void;
  logger: Logger;
}

/** A limit the attempt went over: it fails for good with this code. */
export type LimitCode = 'timeout' | 'memory_limit' | 'output_limit';

/** How the execution ended; nothing of it is recorded yet (the runner does that). */
export type ExecutionOutcome =
  | { kind: 'succeeded'; summary: GenerationSummary | void }
  /** The generator threw; `retryable` is false for UnrecoverableGenerationError. */
  | { kind: 'failed'; error: Error; retryable: boolean }
  | { kind: 'limit'; code: LimitCode; error: Error }
  /** The execution unit died without an outcome (a thread that exited or crashed). */
  | { kind: 'crashed'; error: Error }
  /** Stopped on `signal`: its reason, a cancel or a shutdown. */
  | { kind: 'stopped'; reason: unknown };

/** Runs attempts somewhere the worker can stop them: a thread, or its own event loop. */
export interface Executor {
  execute(request: ExecutionRequest, hooks: ExecutionHooks): Promise<ExecutionOutcome>;
  close(): Promise<void>;
}

export type ExecutionMode = 'auto' | 'thread' | 'main';

/**
 * Routes each generator to an executor: `auto` follows the generator's own `runsIn`
 * (docs/generators.md), `thread` and `main` put every generator there (benchmarks, debugging).
 */
export function createExecutorRouter(options: {
  mode: ExecutionMode;
  runsIn: (generator: string) => 'thread' | 'main';
  thread: Executor | null;
  main: Executor;
}): Executor {
  const pick = (generator: string): Executor => {
    const where = options.mode === 'auto' ? options.runsIn(generator) : options.mode;
    return where === 'thread' && options.thread ? options.thread : options.main;
  };
  return {
    execute: (request, hooks) => pick(request.generator).execute(request, hooks),
    async close() {
      await Promise.all([options.thread?.close(), options.main.close()]);
    },
  };
}
