import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { watchAttempt } from './attempt-watch.ts';
import type { ExecutionOutcome, Executor } from './executor.ts';
import { outcomeOf } from './outcome.ts';
import type {
  FromThread,
  ThreadResult,
  ThreadSetup,
  ThreadTask,
  ToThread,
} from './thread-protocol.ts';

/** How long an idle execution thread is kept (beyond the one each pool always keeps). */
const IDLE_THREAD_MS = 60_000;

/**
 * Runs each attempt in a worker thread of a pool per generator (piscina), so the worker's
 * event loop (lock renewal, heartbeats, events, cancel, shutdown) stays free whatever the
 * generator does. The heap of each thread is capped at the generator's memory limit; a
 * thread that does not stop within the grace period of a stop request is terminated.
 */
export function createThreadExecutor(deps: {
  /** The bundled thread entry, apps/worker/dist/execution-thread.mjs. */
  filename: string;
  setup: ThreadSetup;
  /** Threads one generator may use at once: the worker's concurrency per queue. */
  threadsPerGenerator: number;
  killGraceMs: number;
}): Executor {
  const pools = new Map<string, Piscina<ThreadTask, ThreadResult>>();
  const poolFor = (generator: string, memoryMb: number): Piscina<ThreadTask, ThreadResult> => {
    let pool = pools.get(generator);
    if (!pool) {
      pool = new Piscina<ThreadTask, ThreadResult>({
        filename: deps.filename,
        workerData: deps.setup,
        minThreads: 1,
        maxThreads: deps.threadsPerGenerator,
        idleTimeout: IDLE_THREAD_MS,
        // Tasks may leave timers or sockets behind; threads must not pause between tasks.
        atomics: 'disabled',
        resourceLimits: { maxOldGenerationSizeMb: memoryMb },
      });
      pools.set(generator, pool);
    }
    return pool;
  };

  return {
    async execute(request, hooks): Promise<ExecutionOutcome> {
      const pool = poolFor(request.generator, request.limits.memoryMb);
      const { port1, port2 } = new MessageChannel();
      let breach: Error | null = null;
      port1.on('message', (message: FromThread) => {
        if (message.type === 'progress') {
          hooks.progress(message.stage, message.percent, message.message);
        } else breach = new Error(message.message);
      });
      const kill = new AbortController();
      const watch = watchAttempt({
        signal: hooks.signal,
        timeoutMs: request.limits.timeoutMs,
        killGraceMs: deps.killGraceMs,
        onStop: (reason) => {
          const stop: ToThread = { type: 'stop', reason: String(reason) };
          port1.postMessage(stop);
        },
        // Terminates the thread; piscina starts another for the pool.
        onKill: () => kill.abort(),
      });
      try {
        const task: ThreadTask = {
          generator: request.generator,
          input: request.input,
          jobId: request.jobId,
          attempt: request.attempt,
          outputDir: request.outputDir,
          maxOutputBytes: request.limits.maxOutputBytes,
          maxOutputFiles: request.limits.maxOutputFiles,
          port: port2,
        };
        const ended = await pool.run(task, { transferList: [port2], signal: kill.signal }).then(
          (result) => ({ result }),
          (error: unknown) => ({ error }),
        );
        if ('error' in ended) {
          if (watch.stopping() || breach) return outcomeOf(watch, breach, null);
          const error = ended.error instanceof Error ? ended.error : new Error(String(ended.error));
          if ((error as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
            return {
              kind: 'limit',
              code: 'memory_limit',
              error: new Error(
                `the attempt went over its memory limit of ${request.limits.memoryMb} MB`,
              ),
            };
          }
          return {
            kind: 'crashed',
            error: new Error(`the execution thread died: ${error.message}`),
          };
        }
        const { result } = ended;
        switch (result.kind) {
          case 'succeeded':
            return outcomeOf(watch, null, { summary: result.summary });
          case 'output_limit':
            return outcomeOf(watch, new Error(result.message), null);
          case 'failed': {
            const error = Object.assign(new Error(result.message), { name: result.name });
            const outcome = outcomeOf(watch, null, { error });
            return outcome.kind === 'failed'
              ? { ...outcome, retryable: result.retryable }
              : outcome;
          }
        }
      } finally {
        watch.dispose();
        port1.close();
      }
    },
    async close() {
      await Promise.all([...pools.values()].map((pool) => pool.destroy()));
      pools.clear();
    },
  };
}
