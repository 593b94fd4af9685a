export { startWorkerProcess, type WorkerProcess } from './worker-process.ts';
export { createArtifactStore } from './artifacts.ts';
