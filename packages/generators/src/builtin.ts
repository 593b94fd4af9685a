import type { AnyGenerator } from './generator.ts';
import { noopGenerator } from './noop.ts';
import { testDataGenerator } from './test-data/index.ts';

/** Every generator genq ships with, in the order `GET /api/v1/generators` lists them. */
export const builtinGenerators: AnyGenerator[] = [testDataGenerator, noopGenerator];
