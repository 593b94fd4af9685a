export * from './job-states.ts';
export * from './priority.ts';
export * from './errors.ts';
export * from './env.ts';
export * from './events.ts';
export * from './logger.ts';
export * from './error-reporting.ts';
export * from './results.ts';
