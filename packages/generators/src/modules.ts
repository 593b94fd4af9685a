import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { envList } from '@genq/core';
import type { AnyGenerator } from './generator.ts';

/**
 * Generators from outside genq: ES modules whose default export is a generator or an array
 * of them (docs/generators.md). The API and the workers must load the same modules.
 */
export const generatorModulesEnvShape = {
  /** Comma-separated paths of generator modules, loaded after the built-in generators. */
  GENQ_GENERATOR_MODULES: envList,
};

export async function loadGeneratorModules(paths: string[]): Promise<AnyGenerator[]> {
  const loaded: AnyGenerator[] = [];
  for (const file of paths) {
    const module = (await import(pathToFileURL(path.resolve(file)).href)) as { default?: unknown };
    const exported = module.default;
    const list = Array.isArray(exported) ? exported : [exported];
    for (const generator of list) {
      if (!isGenerator(generator)) {
        throw new Error(`${file}: the default export must be a generator or an array of them`);
      }
      loaded.push(generator);
    }
  }
  return loaded;
}

function isGenerator(value: unknown): value is AnyGenerator {
  const g = value as Partial<AnyGenerator> | null;
  return (
    typeof g === 'object' &&
    g !== null &&
    typeof g.name === 'string' &&
    typeof g.run === 'function' &&
    typeof g.estimateSeconds === 'function' &&
    typeof g.input?.safeParse === 'function'
  );
}
