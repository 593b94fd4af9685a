import { uniqueIndexer } from '../permutation.ts';
import { deriveSeed, RowRandom } from '../prng.ts';
import { decimalRange } from '../ranges.ts';
import type { FieldOf } from '../schema/fields.ts';
import type { FieldContext, ValueColumn } from './context.ts';

/** Every 16-bit value as 4 hex digits (~2 MB, built on first use): a uuid is then 8 lookups, not 32. */
let hex4: string[] | undefined;

function hexTable(): string[] {
  hex4 ??= Array.from({ length: 65_536 }, (_, i) => i.toString(16).padStart(4, '0'));
  return hex4;
}

/**
 * UUID v4 from four 32-bit draws. The first draw is a bijection of the row index, so the
 * first 8 hex digits already differ between rows: unique without remembering anything.
 */
export function formatUuid(w0: number, w1: number, w2: number, w3: number): string {
  const h = hexTable();
  return `${h[w0 >>> 16]}${h[w0 & 0xffff]}-${h[w1 >>> 16]}-${h[(w1 & 0x0fff) | 0x4000]}-${
    h[((w2 >>> 16) & 0x3fff) | 0x8000]
  }-${h[w2 & 0xffff]}${h[w3 >>> 16]}${h[w3 & 0xffff]}`;
}

export function uuidColumn(context: FieldContext): ValueColumn {
  const random = new RowRandom(context.seed);
  const { encoder } = context;
  hexTable();
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
