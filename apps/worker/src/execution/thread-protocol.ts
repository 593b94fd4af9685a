import type { MessagePort } from 'node:worker_threads';
import type { WorkingStage } from '@genq/core';
import type { GenerationSummary } from '@genq/generators';
import type { GeneratorSetup } from './generator-setup.ts';

/** What every execution thread is started with (piscina's workerData). */
export interface ThreadSetup {
  generators: GeneratorSetup;
  log: { level: string; format: 'json' | 'pretty' };
}

/** One attempt, as sent to a thread; `port` carries progress out and the stop request in. */
export interface ThreadTask {
  generator: string;
  input: unknown;
  jobId: string;
  attempt: number;
  outputDir: string;
  maxOutputBytes: number;
  maxOutputFiles: number;
  port: MessagePort;
}

export type ToThread = { type: 'stop'; reason: string };
export type FromThread =
  | { type: 'progress'; stage: WorkingStage; percent: number; message?: string }
  /** The output budget was crossed: the attempt fails with output_limit, even if it crashes. */
  | { type: 'output_limit'; message: string };

/** How an attempt ended in its thread; errors cross as plain data (their classes do not). */
export type ThreadResult =
  | { kind: 'succeeded'; summary: GenerationSummary | void }
  | { kind: 'failed'; name: string; message: string; retryable: boolean }
  | { kind: 'output_limit'; message: string };
