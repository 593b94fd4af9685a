import { describe, expect, it } from '@jest/globals';
import { ValidationError } from '@genq/core';
import { z } from 'zod';
import { createGeneratorRegistry } from '../src/registry.ts';
import { defineGenerator } from '../src/generator.ts';
import { DEFAULT_LIMITS_SETTINGS, limitsEnvShape } from '../src/limits.ts';
import { noopGenerator } from '../src/noop.ts';

describe('generator registry', () => {
  const registry = createGeneratorRegistry([noopGenerator]);

  it('applies the input schema and its defaults', () => {
    expect(registry.parseInput('noop', {})).toMatchObject({ sleep_ms: 0, fail: 'never' });
  });

  it('names the field at fault, unknown fields included', () => {
    try {
      registry.parseInput('noop', { sleep_ms: -1, surprise: true });
      throw new Error('expected a validation error');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      const paths = (error as ValidationError).details.map((d) => d.path);
      expect(paths).toEqual(expect.arrayContaining(['input.sleep_ms', 'input.surprise']));
    }
  });

  it('refuses an unknown generator', () => {
    expect(() => registry.parseInput('nope', {})).toThrow(ValidationError);
  });

  it('describes generators with a JSON Schema of their input', () => {
    const [info] = registry.describe();
    expect(info).toMatchObject({ name: 'noop', requires_gpu: false });
    expect(info?.input_schema).toMatchObject({ type: 'object' });
  });

  it("publishes each generator's limits: its setting, else its own, else the global one", () => {
    const slow = defineGenerator({
      name: 'slow',
      description: 'declares its own timeout',
      input: z.object({}),
      estimateSeconds: () => 1,
      limits: { timeoutMs: 120_000, maxOutputFiles: 5 },
      run: async () => undefined,
    });
    const settings = z.object(limitsEnvShape).parse({
      GENQ_JOB_TIMEOUT_MS: '60000',
      GENQ_GENERATOR_LIMITS: '{"slow":{"max_output_files":7},"noop":{"memory_mb":64}}',
    });
    const limited = createGeneratorRegistry([noopGenerator, slow], settings);
    expect(limited.describe().map((g) => [g.name, g.limits])).toEqual([
      [
        'noop',
        {
          timeout_ms: 60_000,
          memory_mb: 64,
          max_output_bytes: DEFAULT_LIMITS_SETTINGS.GENQ_JOB_MAX_OUTPUT_BYTES,
          max_output_files: DEFAULT_LIMITS_SETTINGS.GENQ_JOB_MAX_OUTPUT_FILES,
          max_work: DEFAULT_LIMITS_SETTINGS.GENQ_JOB_MAX_WORK,
        },
      ],
      [
        'slow',
        {
          timeout_ms: 120_000,
          memory_mb: DEFAULT_LIMITS_SETTINGS.GENQ_JOB_MEMORY_MB,
          max_output_bytes: DEFAULT_LIMITS_SETTINGS.GENQ_JOB_MAX_OUTPUT_BYTES,
          max_output_files: 7,
          max_work: DEFAULT_LIMITS_SETTINGS.GENQ_JOB_MAX_WORK,
        },
      ],
    ]);
  });

  it('lets a job ask for less wall time than its generator allows, never more', () => {
    const limit = registry.limits('noop').timeoutMs;
    expect(() => registry.checkTimeout('noop', limit)).not.toThrow();
    expect(() => registry.checkTimeout('noop', undefined)).not.toThrow();
    try {
      registry.checkTimeout('noop', limit + 1);
      throw new Error('expected a validation error');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).details).toEqual([
        { path: 'timeout_ms', message: `must be at most ${limit}` },
      ]);
    }
  });

  it('refuses limit settings that are not a JSON object of known limits', () => {
    const schema = z.object(limitsEnvShape);
    expect(schema.safeParse({ GENQ_GENERATOR_LIMITS: 'not json' }).success).toBe(false);
    expect(schema.safeParse({ GENQ_GENERATOR_LIMITS: '{"noop":{"cpu":1}}' }).success).toBe(false);
  });
});
