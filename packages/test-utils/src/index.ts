export * from './database.ts';
export * from './stack.ts';
export * from './ws-client.ts';
export * from './http.ts';
export * from './zip.ts';
export * from './processes.ts';
export * from './private-redis.ts';
export * from './fake-openai.ts';
