export * from './generator.ts';
export * from './registry.ts';
export { testDataGenerator } from './test-data/index.ts';
export { noopGenerator } from './noop.ts';
export { builtinGenerators } from './builtin.ts';
export * from './safe-path.ts';
