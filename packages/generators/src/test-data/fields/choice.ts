import { RowRandom } from '../prng.ts';
import { distinctEnumValues } from '../ranges.ts';
import { compilePattern } from '../regex.ts';
import type { FieldOf } from '../schema/fields.ts';
import { utf8 } from '../writers/bytes.ts';
import type { Encoder } from '../writers/types.ts';
import { textWriter } from './context.ts';
import type { FieldContext, ValueColumn } from './context.ts';
import { indexPicker } from './numeric.ts';

function encodeValue(encoder: Encoder, value: string | number | boolean): Uint8Array {
  if (typeof value === 'number') return utf8(String(value));
  if (typeof value === 'boolean') return utf8(encoder.boolean(value));
  return utf8(encoder.text(value));
}

function enumSqlType(values: readonly (string | number | boolean)[]): string {
  if (values.every((v) => typeof v === 'boolean')) return 'BOOLEAN';
  if (values.every((v) => typeof v === 'number' && Number.isSafeInteger(v))) return 'BIGINT';
  if (values.every((v) => typeof v === 'number')) return 'DOUBLE PRECISION';
  return 'TEXT';
}

export function enumColumn(field: FieldOf<'enum'>, context: FieldContext): ValueColumn {
  const values = context.unique ? distinctEnumValues(field.values) : field.values;
  const tokens = values.map((value) => encodeValue(context.encoder, value));
  const sqlType = enumSqlType(values);
  if (!field.weights || context.unique) {
    const pick = indexPicker(context, tokens.length);
    return { sqlType, write: (row, out) => out.bytes(tokens[pick(row)] as Uint8Array) };
  }
  // Cumulative weights scaled to 2^32, searched with one 32-bit draw per row.
  const total = field.weights.reduce((sum, w) => sum + w, 0);
  const cumulative = new Float64Array(field.weights.length);
  let running = 0;
  for (const [i, weight] of field.weights.entries()) {
    running += weight;
    cumulative[i] = (running / total) * 4_294_967_296;
  }
  const random = new RowRandom(context.seed);
  return {
    sqlType,
    write(row, out) {
      const draw = random.at(row).next();
      let lo = 0;
      let hi = cumulative.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (draw < (cumulative[mid] as number)) hi = mid;
        else lo = mid + 1;
      }
      out.bytes(tokens[lo] as Uint8Array);
    },
  };
}

export function patternColumn(field: FieldOf<'pattern'>, context: FieldContext): ValueColumn {
  const pattern = compilePattern(field.pattern);
  const random = new RowRandom(context.seed);
  const write = textWriter(context.encoder);
  return { sqlType: 'TEXT', write: (row, out) => write(pattern.generate(random.at(row)), out) };
}

/**
 * A value of another table's key column, regenerated from that table's row index: nothing
 * of the referenced table is kept in memory. Unique keys take a permutation of its rows.
 */
export function foreignKeyColumn(
  field: FieldOf<'foreign_key'>,
  context: FieldContext,
): ValueColumn {
  const target = context.reference(field.table, field.field);
  const pick = indexPicker(context, target.rows);
  return { sqlType: target.sqlType, write: (row, out) => target.write(pick(row), out) };
}
