import { poolColumn } from './enhance/column.ts';
import { isEnhanceable } from './enhance/targets.ts';
import { fieldSeed, outputColumn, POOLS_BY_TYPE, valueColumn } from './fields/index.ts';
import type { FieldContext, ValueColumn } from './fields/index.ts';
import type { TableSpec } from './schema/input.ts';
import type { PoolName, Pools } from './value-pools.ts';
import type { Column, Encoder, TableShape } from './writers/types.ts';

/** The pools the job's fields sample from. */
export function poolsNeeded(tables: readonly TableSpec[]): Set<PoolName> {
  const names = new Set<PoolName>();
  for (const table of tables) {
    for (const field of table.fields) {
      for (const name of POOLS_BY_TYPE[field.type as keyof typeof POOLS_BY_TYPE] ?? [])
        names.add(name);
    }
  }
  return names;
}

export interface CompiledTable extends TableShape {
  spec: TableSpec;
  /** Per field, its values without nulls (samples for test cases). */
  values: ValueColumn[];
}

/**
 * Turns table specs into columns whose values are computed per row on demand. A field with
 * an entry in `fieldPools` (`<table>.<field>`: hybrid mode, or the job's value_pools)
 * samples that pool instead of its type's values.
 */
export function compileTables(
  tables: readonly TableSpec[],
  seed: number,
  encoder: Encoder,
  pools: Pools,
  fieldPools: ReadonlyMap<string, readonly string[]> = new Map(),
): CompiledTable[] {
  const keys = new Map<string, ValueColumn & { rows: number }>();
  return tables.map((table) => {
    const values: ValueColumn[] = [];
    const columns: Column[] = table.fields.map((field) => {
      const context: FieldContext = {
        seed: fieldSeed(seed, table.name, field.name),
        rows: table.rows,
        unique: field.unique,
        encoder,
        pools,
        reference(refTable, refField) {
          const target = keys.get(`${refTable}.${refField}`);
          if (!target) throw new Error(`${refTable}.${refField} is not an earlier table's field`);
          return target;
        },
      };
      const pooled = fieldPools.get(`${table.name}.${field.name}`);
      const value =
        pooled && isEnhanceable(field)
          ? poolColumn(field, pooled, context)
          : valueColumn(field, context);
      values.push(value);
      keys.set(`${table.name}.${field.name}`, { ...value, rows: table.rows });
      return outputColumn(field, value, context);
    });
    return { name: table.name, rows: table.rows, columns, spec: table, values };
  });
}
