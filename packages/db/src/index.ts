export * from './client.ts';
export * from './jobs-repository.ts';
export { migrateDatabase } from './migrate.ts';
export * from './job-event.ts';
export * from './recovery-repository.ts';
export * from './batches-repository.ts';
export * from './clients-repository.ts';
export * from './webhooks-repository.ts';
export * from './scheduling-repository.ts';
