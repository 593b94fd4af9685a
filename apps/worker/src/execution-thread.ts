// The entry of an execution thread (bundled as dist/execution-thread.mjs): it builds the
// worker's generators once, then runs one attempt at a time for the worker's thread pool.
import { workerData } from 'piscina';
import { createLogger, UnrecoverableGenerationError } from '@genq/core';
import { createRegistryFrom } from './execution/generator-setup.ts';
import { createOutputWriter } from './execution/output-writer.ts';
import type {
  FromThread,
  ThreadResult,
  ThreadSetup,
  ThreadTask,
  ToThread,
} from './execution/thread-protocol.ts';

const setup = workerData as ThreadSetup;
const registry = await createRegistryFrom(setup.generators);
const logger = createLogger({
  level: setup.log.level,
  format: setup.log.format,
  service: 'genq-worker',
});

export default async function execute(task: ThreadTask): Promise<ThreadResult> {
  const { port } = task;
  const controller = new AbortController();
  port.on('message', (message: ToThread) => {
    if (message.type === 'stop') controller.abort(new Error(message.reason));
  });
  const post = (message: FromThread): void => port.postMessage(message);
  const output = createOutputWriter(
    task.outputDir,
    { maxBytes: task.maxOutputBytes, maxFiles: task.maxOutputFiles },
    (breach) => post({ type: 'output_limit', message: breach.message }),
  );
  try {
    const generator = registry.get(task.generator);
    if (!generator) throw new UnrecoverableGenerationError(`unknown generator "${task.generator}"`);
    const summary = await generator.run(generator.input.parse(task.input), {
      jobId: task.jobId,
      attempt: task.attempt,
      signal: controller.signal,
      progress: (stage, percent, message) => post({ type: 'progress', stage, percent, message }),
      output,
      logger: logger.child({ jobId: task.jobId, attempt: task.attempt }),
    });
    const breach = output.breach();
    if (breach) return { kind: 'output_limit', message: breach.message };
    return { kind: 'succeeded', summary };
  } catch (error) {
    const breach = output.breach();
    if (breach) return { kind: 'output_limit', message: breach.message };
    return {
      kind: 'failed',
      name: error instanceof Error ? error.name : 'Error',
      message: error instanceof Error ? error.message || error.name : String(error),
      retryable: !(error instanceof UnrecoverableGenerationError),
    };
  } finally {
    port.close();
  }
}
