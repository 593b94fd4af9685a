export * from './settings.ts';
export * from './fair-queue.ts';
export * from './dispatcher.ts';
