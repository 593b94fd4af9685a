import { RowRandom } from '../prng.ts';
import type { PoolName } from '../value-pools.ts';
import { encodePool, pool, textWriter } from './context.ts';
import type { FieldContext, ValueColumn } from './context.ts';

/**
 * Text columns share two paths: where every piece is known to need no escaping in the output
 * format (checked once per pool), values are composed straight into the output as bytes;
 * otherwise they are built as strings and escaped per row.
 */

/** SQL type of every text column but `string` (which knows its maximum length). */
export const TEXT = 'TEXT';

/** A column whose values are strings made per row, escaped per row. */
export function perRowText(context: FieldContext, value: (row: number) => string): ValueColumn {
  const write = textWriter(context.encoder);
  return { sqlType: TEXT, write: (row, out) => write(value(row), out) };
}

/** Text made unique by appending the (1-based) row number, e.g. "Anna #17". */
export function withRowSuffix(context: FieldContext, value: (row: number) => string): ValueColumn {
  return perRowText(context, (row) => `${value(row)} #${row + 1}`);
}

export function fromPool(context: FieldContext, name: PoolName): ValueColumn {
  const values = pool(context, name);
  const random = new RowRandom(context.seed);
  if (context.unique)
    return withRowSuffix(context, (row) => values[random.at(row).below(values.length)] as string);
  const tokens = encodePool(context.encoder, values);
  return {
    sqlType: TEXT,
    write: (row, out) => out.bytes(tokens[random.at(row).below(tokens.length)] as Uint8Array),
  };
}
