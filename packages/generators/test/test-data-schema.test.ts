import { describe, expect, it } from '@jest/globals';
import { ValidationError } from '@genq/core';
import { createGeneratorRegistry } from '../src/registry.ts';
import { testDataGenerator } from '../src/test-data/index.ts';

/** The `path: message` of every issue, the way a client sees them. */
function issues(input: unknown): string[] {
  const result = testDataGenerator.input.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

function paths(input: unknown): string[] {
  return issues(input).map((text) => text.slice(0, text.indexOf(':')));
}

const uuid = { name: 'id', type: 'uuid' };

describe('test-data input: shapes and defaults', () => {
  it('normalises the single-table shorthand into one table with defaults', () => {
    const input = testDataGenerator.input.parse({ fields: [uuid] });
    expect(input).toEqual({
      tables: [
        {
          name: 'data',
          rows: 1000,
          fields: [{ name: 'id', type: 'uuid', nullable: 0, unique: false }],
        },
      ],
      mode: 'rows',
      format: 'csv',
      locale: 'en',
      sql: { batch_size: 1000, create_table: true },
    });
  });

  it('accepts several tables, a seed and a locale', () => {
    const input = testDataGenerator.input.parse({
      seed: 7,
      locale: 'de',
      format: 'sql',
      tables: [
        { name: 'users', rows: 5, fields: [uuid] },
        {
          name: 'orders',
          rows: 9,
          fields: [{ name: 'user_id', type: 'foreign_key', table: 'users', field: 'id' }],
        },
      ],
    });
    expect(input.tables.map((t) => [t.name, t.rows])).toEqual([
      ['users', 5],
      ['orders', 9],
    ]);
    expect(input).toMatchObject({ seed: 7, locale: 'de', format: 'sql' });
  });

  it('reads nullable: true as a 10% rate', () => {
    const input = testDataGenerator.input.parse({
      fields: [{ name: 'a', type: 'city', nullable: true }],
    });
    expect(input.tables[0]?.fields[0]?.nullable).toBe(0.1);
  });

  it('wants exactly one of the two shapes', () => {
    expect(paths({ rows: 5 })).toEqual(['fields']);
    expect(paths({ fields: [uuid], tables: [{ name: 't', fields: [uuid] }] })).toEqual(['fields']);
  });
});

describe('test-data input: errors name the field', () => {
  it('refines ranges on the field that is wrong', () => {
    expect(
      paths({
        fields: [
          uuid,
          { name: 'b', type: 'integer' },
          { name: 'c', type: 'integer', min: 5, max: 1 },
        ],
      }),
    ).toEqual(['fields.2.max']);
    expect(
      paths({ fields: [{ name: 's', type: 'string', min_length: 9, max_length: 3 }] }),
    ).toEqual(['fields.0.max_length']);
    expect(
      paths({ fields: [{ name: 'd', type: 'date', min: '2024-01-02', max: '2024-01-01' }] }),
    ).toEqual(['fields.0.max']);
    expect(paths({ fields: [{ name: 'd', type: 'date', min: '2023-02-30' }] })).toEqual([
      'fields.0.min',
    ]);
    expect(
      paths({ fields: [{ name: 'x', type: 'number', min: 0.001, max: 0.002, decimals: 2 }] }),
    ).toEqual(['fields.0.decimals']);
  });

  it('uses full paths inside tables', () => {
    expect(
      paths({
        tables: [
          { name: 'a', fields: [uuid] },
          { name: 'b', fields: [uuid, { name: 'n', type: 'integer', min: 3, max: 2 }] },
        ],
      }),
    ).toEqual(['tables.1.fields.1.max']);
  });

  it('rejects unknown types, keys and bad names', () => {
    expect(paths({ fields: [{ name: 'a', type: 'colour' }] })).toEqual(['fields.0.type']);
    expect(paths({ fields: [{ name: 'a', type: 'uuid', min: 1 }] })).toEqual(['fields.0']);
    expect(paths({ fields: [uuid], colour: 'red' })).toEqual(['']);
    expect(paths({ fields: [{ name: 'a b', type: 'uuid' }] })).toEqual(['fields.0.name']);
    expect(paths({ table: '../etc', fields: [uuid] })).toEqual(['table']);
    expect(paths({ table: 'metadata', fields: [uuid] })).toEqual(['table']);
  });

  it('rejects duplicate names', () => {
    expect(paths({ fields: [uuid, { name: 'ID', type: 'integer' }] })).toEqual(['fields.1.name']);
    expect(
      paths({
        tables: [
          { name: 't', fields: [uuid] },
          { name: 'T', fields: [uuid] },
        ],
      }),
    ).toEqual(['tables.1.name']);
  });

  it('caps rows per table and in total', () => {
    expect(paths({ fields: [uuid], rows: 10_000_001 })).toEqual(['rows']);
    expect(paths({ fields: [uuid], rows: 0 })).toEqual(['rows']);
    const big = (name: string) => ({ name, rows: 10_000_000, fields: [uuid] });
    expect(paths({ tables: [big('a'), big('b'), big('c')] })).toEqual(['tables']);
  });

  it('checks foreign keys: earlier table, existing key field, not nullable', () => {
    const users = {
      name: 'users',
      rows: 10,
      fields: [uuid, { name: 'n', type: 'integer' }, { name: 'u', type: 'uuid', nullable: 0.5 }],
    };
    const orders = (field: string, table = 'users') => ({
      name: 'orders',
      rows: 20,
      fields: [{ name: 'x', type: 'foreign_key', table, field }],
    });
    expect(paths({ tables: [users, orders('id')] })).toEqual([]);
    expect(issues({ tables: [orders('id'), users] })).toEqual([
      'tables.0.fields.0.table: table "users" must come before table "orders" to be referenced',
    ]);
    expect(paths({ tables: [users, orders('id', 'nope')] })).toEqual(['tables.1.fields.0.table']);
    expect(paths({ tables: [users, orders('missing')] })).toEqual(['tables.1.fields.0.field']);
    expect(paths({ tables: [users, orders('n')] })).toEqual(['tables.1.fields.0.field']);
    expect(paths({ tables: [users, orders('u')] })).toEqual(['tables.1.fields.0.field']);
    expect(paths({ tables: [users, orders('id', 'orders')] })).toEqual(['tables.1.fields.0.table']);
    const uniqueOrders = {
      ...orders('id'),
      fields: [{ name: 'x', type: 'foreign_key', table: 'users', field: 'id', unique: true }],
    };
    expect(paths({ tables: [users, uniqueOrders] })).toEqual(['tables.1.fields.0.unique']);
  });

  it('rejects unique when the range is smaller than the row count', () => {
    expect(
      issues({ rows: 11, fields: [{ name: 'a', type: 'integer', min: 1, max: 10, unique: true }] }),
    ).toEqual([
      'fields.0.unique: unique needs 11 distinct values but this integer field has only 10; widen its range or lower rows',
    ]);
    expect(
      paths({ rows: 10, fields: [{ name: 'a', type: 'integer', min: 1, max: 10, unique: true }] }),
    ).toEqual([]);
    expect(paths({ rows: 3, fields: [{ name: 'a', type: 'boolean', unique: true }] })).toEqual([
      'fields.0.unique',
    ]);
    expect(
      paths({
        rows: 3,
        fields: [{ name: 'a', type: 'enum', values: ['x', 'y', 'x'], unique: true }],
      }),
    ).toEqual(['fields.0.unique']);
    expect(
      paths({
        rows: 400,
        fields: [{ name: 'a', type: 'date', min: '2024-01-01', max: '2024-12-31', unique: true }],
      }),
    ).toEqual(['fields.0.unique']);
    expect(
      paths({
        rows: 101,
        fields: [
          {
            name: 'a',
            type: 'string',
            min_length: 2,
            max_length: 2,
            charset: 'numeric',
            unique: true,
          },
        ],
      }),
    ).toEqual(['fields.0.unique']);
    expect(
      paths({
        rows: 5,
        fields: [{ name: 'a', type: 'pattern', pattern: '[a-z]{5}', unique: true }],
      }),
    ).toEqual(['fields.0.unique']);
    expect(
      paths({
        rows: 5,
        fields: [
          {
            name: 'a',
            type: 'enum',
            values: ['a', 'b', 'c', 'd', 'e'],
            weights: [1, 1, 1, 1, 1],
            unique: true,
          },
        ],
      }),
    ).toEqual(['fields.0.weights']);
  });

  it('explains unsupported or broken patterns', () => {
    expect(issues({ fields: [{ name: 'p', type: 'pattern', pattern: '(a)\\1' }] })[0]).toMatch(
      /^fields\.0\.pattern: backreferences/,
    );
    expect(issues({ fields: [{ name: 'p', type: 'pattern', pattern: '(?=a)b' }] })[0]).toMatch(
      /^fields\.0\.pattern: lookahead/,
    );
    expect(issues({ fields: [{ name: 'p', type: 'pattern', pattern: '[z-a]' }] })[0]).toMatch(
      /^fields\.0\.pattern: not a valid regular expression/,
    );
  });

  it('checks enum weights against the values', () => {
    expect(
      paths({ fields: [{ name: 'e', type: 'enum', values: ['a', 'b'], weights: [1] }] }),
    ).toEqual(['fields.0.weights']);
    expect(
      paths({ fields: [{ name: 'e', type: 'enum', values: ['a', 'b'], weights: [0, 0] }] }),
    ).toEqual(['fields.0.weights']);
    expect(
      paths({ fields: [{ name: 'e', type: 'enum', values: ['a', 'b'], weights: [1, -1] }] }),
    ).toEqual(['fields.0.weights.1']);
  });

  it('keeps cases mode to csv, json and ndjson', () => {
    expect(paths({ mode: 'cases', format: 'sql', fields: [uuid] })).toEqual(['format']);
  });

  it('reaches clients as a ValidationError with input.* paths through the registry', () => {
    const registry = createGeneratorRegistry([testDataGenerator]);
    try {
      registry.parseInput('test-data', {
        fields: [uuid, uuid, { name: 'c', type: 'integer', min: 5, max: 1 }],
      });
      throw new Error('expected a validation error');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).details.map((d) => d.path)).toEqual([
        'input.fields.2.max',
        'input.fields.1.name',
      ]);
    }
  });
});
