import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { UnrecoverableGenerationError } from '@genq/core';
import { defineGenerator } from './generator.ts';

/**
 * Does (almost) nothing, on purpose: a tool for tests and benchmarks that measures genq's own
 * cost per job. It can wait, report progress, write a small file and fail on request.
 */
export const noopGenerator = defineGenerator({
  name: 'noop',
  description:
    'Does no real work: for tests and benchmarks. Optionally sleeps, reports progress steps, writes a file, or fails.',
  input: z
    .object({
      sleep_ms: z.number().int().min(0).max(600_000).default(0),
      steps: z.number().int().min(0).max(1000).default(0),
      write_file: z.boolean().default(false),
      fail: z.enum(['never', 'always', 'unrecoverable']).default('never'),
    })
    .strict(),
  estimateSeconds: (input) => input.sleep_ms / 1000 + 0.001,
  // It only waits on timers, which stop with the signal; it measures genq's own cost.
  runsIn: 'main',
  // Bytes: noop.txt ("job <uuid>\n"); work: its progress steps.
  worstCase: (input) => ({
    outputBytes: input.write_file ? 64 : 0,
    work: Math.max(input.steps, input.sleep_ms > 0 ? 1 : 0),
  }),
  async run(input, ctx) {
    const steps = Math.max(input.steps, input.sleep_ms > 0 ? 1 : 0);
    for (let i = 1; i <= steps; i += 1) {
      await sleep(input.sleep_ms / steps, undefined, { signal: ctx.signal });
      ctx.progress('generating', (i / steps) * 100, `step ${i} of ${steps}`);
    }
    ctx.signal.throwIfAborted();
    if (input.fail === 'always') throw new Error('noop failed on request');
    if (input.fail === 'unrecoverable') {
      throw new UnrecoverableGenerationError('noop failed on request (unrecoverable)');
    }
    if (input.write_file) await ctx.output.writeFile('noop.txt', `job ${ctx.jobId}\n`);
  },
});
