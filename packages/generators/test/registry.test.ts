import { describe, expect, it } from '@jest/globals';
import { ValidationError } from '@genq/core';
import { createGeneratorRegistry } from '../src/registry.ts';
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
});
