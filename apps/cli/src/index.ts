/** The genq CLI's building blocks, for scripts written in TypeScript. The binary runs main.ts. */
export { ApiClient, parseRetryAfter, type ApiClientOptions } from './api-client.ts';
export { BatchState, defaultStatePath, type StateDocument } from './batch-state.ts';
export { ApiError, CliError, EXIT, type ExitCode } from './errors.ts';
export { downloadAndExtract, extractZip } from './extract.ts';
export { applySets, readRequestFile } from './input.ts';
export { Follower, type JobState } from './watch.ts';
