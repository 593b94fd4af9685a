import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import winston from 'winston';
import type { WorkingStage } from '@genq/core';
import type { Generator, GenerationSummary, OutputWriter } from '@genq/generators';

export interface RecordedProgress {
  stage: WorkingStage;
  percent: number;
  message?: string;
}

const silentLogger = winston.createLogger({ silent: true });
const folders: string[] = [];

/** Removes every folder `startGeneratorJob` made (call it in `afterAll`). */
export async function removeGeneratorJobFolders(): Promise<void> {
  await Promise.all(folders.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/**
 * Runs a generator into a fresh temporary folder the way the worker does: input parsed by
 * the generator's schema, progress recorded, files written under the folder.
 */
export async function startGeneratorJob<I>(
  generator: Generator<I>,
  raw: unknown,
  options: { signal?: AbortSignal; jobId?: string } = {},
) {
  const out = await mkdtemp(join(tmpdir(), `genq-${generator.name}-`));
  folders.push(out);
  const output: OutputWriter = {
    createStream: (name) => createWriteStream(join(out, name)),
    writeFile: (name, data) => writeFile(join(out, name), data),
  };
  const progress: RecordedProgress[] = [];
  const input = generator.input.parse(raw);
  const done: Promise<GenerationSummary | void> = generator.run(input, {
    jobId: options.jobId ?? `job-${generator.name}-1`,
    attempt: 1,
    signal: options.signal ?? new AbortController().signal,
    progress: (stage, percent, message) => progress.push({ stage, percent, message }),
    output,
    logger: silentLogger,
  });
  return {
    out,
    progress,
    done,
    files: async () => (await readdir(out)).sort(),
    bytes: (name: string) => readFile(join(out, name)),
    metadata: async () =>
      JSON.parse(await readFile(join(out, 'metadata.json'), 'utf8')) as Record<string, unknown>,
  };
}

/** `startGeneratorJob`, awaited to the end. */
export async function runGeneratorJob<I>(generator: Generator<I>, raw: unknown, jobId?: string) {
  const job = await startGeneratorJob(generator, raw, { jobId });
  const summary = await job.done;
  return { ...job, summary };
}
