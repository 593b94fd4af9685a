import type { Writable } from 'node:stream';
import type { z } from 'zod';
import type { Logger, WorkingStage } from '@genq/core';
import type { ExecutionLimits } from './limits.ts';

/** Where a generator puts its files; they become the job's ZIP. */
export interface OutputWriter {
  /** A stream into a new result file. End it and wait for 'finish' (or use `pipeline`). */
  createStream(name: string): Writable;
  writeFile(name: string, data: string | Uint8Array): Promise<void>;
}

export interface GenerationContext {
  jobId: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** Fires when the job is cancelled or the worker must stop; stop promptly when it does. */
  signal: AbortSignal;
  /** Reports progress; percent is 0–100 and never goes back. Cheap: call it as often as you like. */
  progress(stage: WorkingStage, percent: number, message?: string): void;
  output: OutputWriter;
  logger: Logger;
}

/** What a generator may say about its result; stored with the job and written to the ZIP. */
export interface GenerationSummary {
  metadata?: Record<string, unknown>;
}

/** One place in the input that drives a worst case, for the error that names it. */
export interface WorstCasePart {
  /** Path in the input as the client sent it, e.g. `['fields', 3, 'pattern']` or `['rows']`. */
  path: (string | number)[];
  /** This part's share of the worst case. */
  outputBytes: number;
  work: number;
  /** Says how, e.g. "up to 1,002 bytes per value × 1,000,000 rows". */
  note?: string;
}

/**
 * The most an input can cost, computed from the input alone (no I/O, linear in its size),
 * with saturating arithmetic (`cost.ts`): never Infinity or NaN.
 */
export interface WorstCase {
  /** Bytes of all result files together, at most (formats' quotes and separators included). */
  outputBytes: number;
  /**
   * Work, at most, in the generator's own unit, documented by the generator and compared
   * with `maxWork` (GENQ_JOB_MAX_WORK): test-data counts generation steps (one per value,
   * plus one per character, word or pattern node it takes); llm, image and music count
   * provider requests; noop counts its steps.
   */
  work: number;
  /** Where it comes from, the largest parts first: the registry names the first in errors. */
  parts?: WorstCasePart[];
}

export interface Generator<I = unknown> {
  name: string;
  description: string;
  /** Parses and validates the job's input; also published as JSON Schema. */
  input: z.ZodType<I>;
  /** Rough run time, for ETAs and batch estimates. */
  estimateSeconds(input: I): number;
  /**
   * The most a (parsed) input can write and do: the registry refuses an input over the
   * generator's `maxOutputBytes` or `maxWork` at submission (docs/generators.md). Every
   * built-in generator has one; a generator without it is only held to its limits at run time.
   */
  worstCase?(input: I): WorstCase;
  /** True when the generator wants a GPU on the worker that runs it. */
  requiresGpu?: boolean;
  /**
   * Where its attempts run (docs/generators.md). `thread`, the default: a worker thread the
   * worker can terminate, whatever the code does. `main`: the worker's own event loop, for
   * generators that only wait on I/O and stop when their signal fires.
   */
  runsIn?: 'thread' | 'main';
  /** Its own defaults, over the global limits (GENQ_GENERATOR_LIMITS still wins). */
  limits?: Partial<ExecutionLimits>;
  run(input: I, ctx: GenerationContext): Promise<GenerationSummary | void>;
}

/** Erases the input type so generators of different inputs share one registry. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyGenerator = Generator<any>;

export function defineGenerator<I>(generator: Generator<I>): Generator<I> {
  return generator;
}
