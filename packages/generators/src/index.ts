export * from './generator.ts';
export * from './registry.ts';
export { testDataGenerator } from './test-data/index.ts';
export { noopGenerator } from './noop.ts';
export { builtinGenerators } from './builtin.ts';
export { createBuiltinGenerators, type BuiltinGeneratorSettings } from './builtin.ts';
export * from './llm/index.ts';
export * from './safe-path.ts';
