import { uniqueIndexer } from '../permutation.ts';
import { deriveSeed, RowRandom } from '../prng.ts';
import { decimalRange } from '../ranges.ts';
import type { FieldOf } from '../schema/fields.ts';
import type { FieldContext, ValueColumn } from './context.ts';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex(byte: number): string {
  return HEX[byte & 255] as string;
}

/**
 * UUID v4 from four 32-bit draws. The first draw is a bijection of the row index, so the
 * first 8 hex digits already differ between rows: unique without remembering anything.
 */
export function formatUuid(w0: number, w1: number, w2: number, w3: number): string {
  return (
    hex(w0 >>> 24) +
    hex(w0 >>> 16) +
    hex(w0 >>> 8) +
    hex(w0) +
    '-' +
    hex(w1 >>> 24) +
    hex(w1 >>> 16) +
    '-' +
    hex(((w1 >>> 8) & 0x0f) | 0x40) +
    hex(w1) +
    '-' +
    hex(((w2 >>> 24) & 0x3f) | 0x80) +
    hex(w2 >>> 16) +
    '-' +
    hex(w2 >>> 8) +
    hex(w2) +
    hex(w3 >>> 24) +
    hex(w3 >>> 16) +
    hex(w3 >>> 8) +
    hex(w3)
  );
}

export function uuidColumn(context: FieldContext): ValueColumn {
  const random = new RowRandom(context.seed);
  const { encoder } = context;
  return {
    sqlType: 'UUID',
    token(row) {
      random.at(row);
      return encoder.plain(formatUuid(random.next(), random.next(), random.next(), random.next()));
    },
  };
}

/** Index in [0, span) for a row: a permutation when unique, a uniform draw otherwise. */
export function indexPicker(context: FieldContext, span: number): (row: number) => number {
  if (context.unique) return uniqueIndexer(span, deriveSeed(context.seed, 'unique'));
  const random = new RowRandom(context.seed);
  return (row) => Math.min(span - 1, random.at(row).belowLarge(span));
}

export function integerColumn(field: FieldOf<'integer'>, context: FieldContext): ValueColumn {
  const pick = indexPicker(context, field.max - field.min + 1);
  const { encoder } = context;
  return { sqlType: 'BIGINT', token: (row) => encoder.number(String(field.min + pick(row))) };
}

/** A scaled integer written with exactly `decimals` digits after the point, without toFixed's rounding. */
export function formatScaled(value: number, scale: number, decimals: number): string {
  if (decimals === 0) return String(value);
  const magnitude = Math.abs(value);
  const whole = Math.floor(magnitude / scale);
  const fraction = String(magnitude - whole * scale).padStart(decimals, '0');
  return `${value < 0 ? '-' : ''}${whole}.${fraction}`;
}

export function numberColumn(field: FieldOf<'number'>, context: FieldContext): ValueColumn {
  const { scale, lo, hi } = decimalRange(field);
  const pick = indexPicker(context, hi - lo + 1);
  const { encoder } = context;
  const digits = Math.max(String(Math.max(Math.abs(lo), Math.abs(hi))).length, field.decimals + 1);
  return {
    sqlType: `NUMERIC(${digits}, ${field.decimals})`,
    token: (row) => encoder.number(formatScaled(lo + pick(row), scale, field.decimals)),
  };
}

export function booleanColumn(field: FieldOf<'boolean'>, context: FieldContext): ValueColumn {
  const { encoder } = context;
  const tokens = [encoder.boolean(false), encoder.boolean(true)] as const;
  if (context.unique) {
    const pick = indexPicker(context, 2);
    return { sqlType: 'BOOLEAN', token: (row) => tokens[pick(row) as 0 | 1] };
  }
  const random = new RowRandom(context.seed);
  const cut = field.true_rate * 4_294_967_296;
  return { sqlType: 'BOOLEAN', token: (row) => tokens[random.at(row).next() < cut ? 1 : 0] };
}
