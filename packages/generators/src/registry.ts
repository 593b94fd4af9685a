import { z } from 'zod';
import { ValidationError, zodIssueDetails } from '@genq/core';
import type { AnyGenerator } from './generator.ts';
import {
  DEFAULT_LIMITS_SETTINGS,
  limitsInfo,
  resolveLimits,
  type ExecutionLimits,
  type ExecutionLimitsInfo,
  type LimitsSettings,
} from './limits.ts';

export interface GeneratorInfo {
  name: string;
  description: string;
  requires_gpu: boolean;
  input_schema: unknown;
  /** What one attempt may use (docs/reliability.md). */
  limits: ExecutionLimitsInfo;
}

export interface GeneratorRegistry {
  get(name: string): AnyGenerator | undefined;
  /** The limits of generator `name` (a registered one). */
  limits(name: string): ExecutionLimits;
  list(): AnyGenerator[];
  names(): string[];
  /** Validates `input` for generator `name`; errors name the field (`input.<path>`). */
  parseInput(name: string, input: unknown): unknown;
  /** A job may ask for less wall time than its generator's limit, never more (`timeout_ms`). */
  checkTimeout(name: string, timeoutMs: number | undefined): void;
  describe(): GeneratorInfo[];
}

export function createGeneratorRegistry(
  generators: AnyGenerator[],
  limitsSettings: LimitsSettings = DEFAULT_LIMITS_SETTINGS,
): GeneratorRegistry {
  const byName = new Map(generators.map((g) => [g.name, g]));
  if (byName.size !== generators.length) throw new Error('duplicate generator name');
  const limits = new Map(generators.map((g) => [g.name, resolveLimits(g, limitsSettings)]));
  const described = generators.map((g) => ({
    name: g.name,
    description: g.description,
    requires_gpu: g.requiresGpu ?? false,
    input_schema: z.toJSONSchema(g.input, { io: 'input', unrepresentable: 'any' }),
    limits: limitsInfo(limits.get(g.name)!),
  }));

  return {
    get: (name) => byName.get(name),
    limits(name) {
      const found = limits.get(name);
      if (!found) throw new Error(`unknown generator "${name}"`);
      return found;
    },
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
    checkTimeout(name, timeoutMs) {
      const limit = limits.get(name)?.timeoutMs;
      if (timeoutMs === undefined || limit === undefined || timeoutMs <= limit) return;
      throw new ValidationError(`timeout_ms is over the limit of generator "${name}"`, [
        { path: 'timeout_ms', message: `must be at most ${limit}` },
      ]);
    },
    describe: () => described,
  };
}
