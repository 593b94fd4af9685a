export { startWorkerProcess, type WorkerProcess } from './worker-process.ts';
export { createArtifactStore } from './artifacts.ts';
export { createMainLoopExecutor } from './execution/main-loop-executor.ts';
