import type { Pools } from '../value-pools.ts';
import { utf8 } from '../writers/bytes.ts';
import type { ByteChunk } from '../writers/bytes.ts';
import type { Encoder, RowWriter } from '../writers/types.ts';

/** A column's value for any row, never null (nullability is applied on top). */
export interface ValueColumn {
  write: RowWriter;
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

/** Every value encoded for the format once, as bytes: per row, a copy. */
export function encodePool(encoder: Encoder, values: readonly string[]): Uint8Array[] {
  return values.map((value) => utf8(encoder.text(value)));
}

/** Values as raw UTF-8 (no quoting), for composing plain text. */
export function rawPool(values: readonly string[]): Uint8Array[] {
  return values.map((value) => utf8(value));
}

/** True when every value is plain in this format, so concatenations of them are plain too. */
export function allPlain(encoder: Encoder, ...lists: (readonly string[])[]): boolean {
  return lists.every((list) => list.every((value) => encoder.isPlain(value)));
}

/** Writes any text, escaped as the format needs: for values composed per row. */
export function textWriter(encoder: Encoder): (text: string, out: ByteChunk) => void {
  return (text, out) => out.utf8(encoder.text(text));
}
