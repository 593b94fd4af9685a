import type { GeneratorRegistry, GenerationSummary } from '@genq/generators';
import { watchAttempt } from './attempt-watch.ts';
import { outcomeOf } from './outcome.ts';
import type { Executor } from './executor.ts';
import { createOutputWriter } from './output-writer.ts';

/**
 * Runs attempts on the worker's own event loop: for generators that only wait on I/O and
 * stop when their signal fires (docs/generators.md). The same limits apply, except memory;
 * a generator that ignores its signal is let go after the grace period (its slot is freed
 * and its outcome ignored), since code on this loop cannot be stopped by force.
 */
export function createMainLoopExecutor(deps: {
  registry: GeneratorRegistry;
  killGraceMs: number;
}): Executor {
  return {
    async execute(request, hooks) {
      const generator = deps.registry.get(request.generator);
      if (!generator) throw new Error(`unknown generator "${request.generator}"`);
      const input: unknown = generator.input.parse(request.input);
      const controller = new AbortController();
      const output = createOutputWriter(request.outputDir, {
        maxBytes: request.limits.maxOutputBytes,
        maxFiles: request.limits.maxOutputFiles,
      });
      let kill!: () => void;
      const killed = new Promise<null>((resolve) => (kill = () => resolve(null)));
      const watch = watchAttempt({
        signal: hooks.signal,
        timeoutMs: request.limits.timeoutMs,
        killGraceMs: deps.killGraceMs,
        onStop: (reason) => controller.abort(reason),
        onKill: kill,
      });
      try {
        const run = Promise.resolve()
          .then(() =>
            generator.run(input, {
              jobId: request.jobId,
              attempt: request.attempt,
              signal: controller.signal,
              progress: hooks.progress,
              output,
              logger: hooks.logger,
            }),
          )
          .then(
            (summary: GenerationSummary | void) => ({ summary }),
            (error: unknown) => ({ error }),
          );
        const ended = await Promise.race([run, killed]);
        return outcomeOf(watch, output.breach(), ended);
      } finally {
        watch.dispose();
      }
    },
    close: () => Promise.resolve(),
  };
}
