import { z } from 'zod';
import { ValidationError, zodIssueDetails } from '@genq/core';
import type { AnyGenerator } from './generator.ts';

export interface GeneratorInfo {
  name: string;
  description: string;
  requires_gpu: boolean;
  input_schema: unknown;
}

export interface GeneratorRegistry {
  get(name: string): AnyGenerator | undefined;
  list(): AnyGenerator[];
  names(): string[];
  /** Validates `input` for generator `name`; errors name the field (`input.<path>`). */
  parseInput(name: string, input: unknown): unknown;
  describe(): GeneratorInfo[];
}

export function createGeneratorRegistry(generators: AnyGenerator[]): GeneratorRegistry {
  const byName = new Map(generators.map((g) => [g.name, g]));
  if (byName.size !== generators.length) throw new Error('duplicate generator name');
  const described = generators.map((g) => ({
    name: g.name,
    description: g.description,
    requires_gpu: g.requiresGpu ?? false,
    input_schema: z.toJSONSchema(g.input, { io: 'input', unrepresentable: 'any' }),
  }));

  return {
    get: (name) => byName.get(name),
    list: () => [...byName.values()],
    names: () => [...byName.keys()],
    parseInput(name, input) {
      const generator = byName.get(name);
      if (!generator) {
        throw new ValidationError(`unknown generator "${name}"`, [
          { path: 'generator', message: `must be one of: ${[...byName.keys()].join(', ')}` },
        ]);
      }
      const parsed = generator.input.safeParse(input);
      if (!parsed.success) {
        throw new ValidationError(
          `invalid input for generator "${name}"`,
          zodIssueDetails(parsed.error.issues, ['input']),
        );
      }
      return parsed.data;
    },
    describe: () => described,
  };
}
