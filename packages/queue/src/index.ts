export * from './redis.ts';
export * from './keys.ts';
export * from './job-queue.ts';
export * from './job-events.ts';
export * from './control.ts';
