import type { Pools } from '../value-pools.ts';
import type { Encoder } from '../writers/types.ts';

/** A column's value for any row, never null (nullability is applied on top). */
export interface ValueColumn {
  token(row: number): string;
  sqlType: string;
}

export interface FieldContext {
  /** This field's own seed (derived from the job seed, table and field names). */
  seed: number;
  /** Rows of the field's table. */
  rows: number;
  unique: boolean;
  encoder: Encoder;
  pools: Pools;
  /** The non-null values of an earlier table's column, by row, for foreign keys. */
  reference(table: string, field: string): ValueColumn & { rows: number };
}

export function pool(context: FieldContext, name: keyof Pools): readonly string[] {
  const values = context.pools[name];
  if (!values || values.length === 0) throw new Error(`value pool ${name} was not built`);
  return values;
}

/** Encodes every value of a pool once, checking plainness once rather than per row. */
export function encodePool(encoder: Encoder, values: readonly string[]): string[] {
  return values.map((value) => encoder.text(value));
}

/** True when every value is plain in this format, so concatenations of them are plain too. */
export function allPlain(encoder: Encoder, ...lists: (readonly string[])[]): boolean {
  return lists.every((list) => list.every((value) => encoder.isPlain(value)));
}
