import { z } from 'zod';
import { ValidationError, zodIssueDetails } from '@genq/core';
import type { AnyGenerator, WorstCase, WorstCasePart } from './generator.ts';
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
  /**
   * Validates `input` for generator `name`, then its cost (`checkCost`); errors name the
   * field (`input.<path>`). Returns the parsed input.
   */
  parseInput(name: string, input: unknown): unknown;
  /** The generator's worst case of a parsed input (zero when it declares none). */
  worstCase(name: string, parsed: unknown): WorstCase;
  /**
   * Refuses a parsed input whose worst case is over the generator's `maxOutputBytes` or
   * `maxWork`, naming the part of the input that drives it. Called by parseInput.
   */
  checkCost(name: string, parsed: unknown): void;
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

  function worstCaseOf(name: string, parsed: unknown): WorstCase {
    const generator = byName.get(name);
    if (!generator?.worstCase) return { outputBytes: 0, work: 0 };
    return generator.worstCase(parsed);
  }

  function checkCost(name: string, parsed: unknown): void {
    const limit = limits.get(name);
    if (!limit) return;
    const worst = worstCaseOf(name, parsed);
    const overBytes = worst.outputBytes > limit.maxOutputBytes;
    const overWork = worst.work > limit.maxWork;
    if (!overBytes && !overWork) return;
    const measure = overBytes ? 'outputBytes' : 'work';
    const total = overBytes
      ? `up to ${formatCount(worst.outputBytes)} bytes of results, above max_output_bytes ${formatCount(limit.maxOutputBytes)}`
      : `up to ${formatCount(worst.work)} units of work, above max_work ${formatCount(limit.maxWork)}`;
    const parts = [...(worst.parts ?? [])]
      .filter((part) => part[measure] > 0)
      .sort((a, b) => b[measure] - a[measure]);
    const named = parts.slice(0, 2).map((part: WorstCasePart) => ({
      path: ['input', ...part.path.map(String)].join('.'),
      message: `${part.note ? `${part.note}: ` : ''}the job could make ${total} (generator "${name}")`,
    }));
    throw new ValidationError(
      `input for generator "${name}" is too large: ${total}`,
      named.length > 0 ? named : [{ path: 'input', message: `the job could make ${total}` }],
    );
  }

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
      checkCost(name, parsed.data);
      return parsed.data;
    },
    worstCase: (name, parsed) => worstCaseOf(name, parsed),
    checkCost: (name, parsed) => checkCost(name, parsed),
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

function formatCount(n: number): string {
  return n >= Number.MAX_SAFE_INTEGER
    ? 'more than 9,007,199,254,740,991'
    : n.toLocaleString('en-US');
}
