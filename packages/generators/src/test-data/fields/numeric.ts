import { uniqueIndexer } from '../permutation.ts';
import { deriveSeed, RowRandom } from '../prng.ts';
import { decimalRange } from '../ranges.ts';
import type { FieldOf } from '../schema/fields.ts';
import { ByteChunk, utf8 } from '../writers/bytes.ts';
import type { FieldContext, ValueColumn } from './context.ts';
import { abs, floor, max, min } from '../math.ts';

const DASH = 45;
const MINUS = 45;
const POINT = 46;

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

function hex(out: ByteChunk, word: number, digits: number): void {
  for (let shift = (digits - 1) * 4; shift >= 0; shift -= 4)
    out.byte(HEX_DIGITS[(word >>> shift) & 15] as number);
}

/**
 * UUID v4 from four 32-bit draws. The first draw is a bijection of the row index, so the
 * first 8 hex digits already differ between rows: unique without remembering anything.
 */
export function writeUuid(out: ByteChunk, w0: number, w1: number, w2: number, w3: number): void {
  hex(out, w0, 8);
  out.byte(DASH);
  hex(out, w1 >>> 16, 4);
  out.byte(DASH);
  hex(out, (w1 & 0x0fff) | 0x4000, 4);
  out.byte(DASH);
  hex(out, ((w2 >>> 16) & 0x3fff) | 0x8000, 4);
  out.byte(DASH);
  hex(out, w2 & 0xffff, 4);
  hex(out, w3, 8);
}

export function uuidColumn(context: FieldContext): ValueColumn {
  const random = new RowRandom(context.seed);
  const quote = utf8(context.encoder.quote);
  return {
    sqlType: 'UUID',
    write(row, out) {
      random.at(row);
      out.bytes(quote);
      writeUuid(out, random.next(), random.next(), random.next(), random.next());
      out.bytes(quote);
    },
  };
}

/** Index in [0, span) for a row: a permutation when unique, a uniform draw otherwise. */
export function indexPicker(context: FieldContext, span: number): (row: number) => number {
  if (context.unique) return uniqueIndexer(span, deriveSeed(context.seed, 'unique'));
  const random = new RowRandom(context.seed);
  return (row) => min(span - 1, random.at(row).belowLarge(span));
}

export function integerColumn(field: FieldOf<'integer'>, context: FieldContext): ValueColumn {
  const pick = indexPicker(context, field.max - field.min + 1);
  return { sqlType: 'BIGINT', write: (row, out) => out.int(field.min + pick(row)) };
}

/** A scaled integer as text with exactly `decimals` digits after the point (no toFixed rounding). */
export function formatScaled(value: number, scale: number, decimals: number): string {
  const out = new ByteChunk(32);
  writeScaled(out, value, scale, decimals);
  return out.takeText();
}

function writeScaled(out: ByteChunk, value: number, scale: number, decimals: number): void {
  if (decimals === 0) {
    out.int(value);
    return;
  }
  const magnitude = abs(value);
  const whole = floor(magnitude / scale);
  if (value < 0) out.byte(MINUS);
  out.uint(whole);
  out.byte(POINT);
  out.padded(magnitude - whole * scale, decimals);
}

export function numberColumn(field: FieldOf<'number'>, context: FieldContext): ValueColumn {
  const { scale, lo, hi } = decimalRange(field);
  const pick = indexPicker(context, hi - lo + 1);
  const digits = max(String(max(abs(lo), abs(hi))).length, field.decimals + 1);
  return {
    sqlType: `NUMERIC(${digits}, ${field.decimals})`,
    write: (row, out) => writeScaled(out, lo + pick(row), scale, field.decimals),
  };
}

export function booleanColumn(field: FieldOf<'boolean'>, context: FieldContext): ValueColumn {
  const { encoder } = context;
  const no = utf8(encoder.boolean(false));
  const yes = utf8(encoder.boolean(true));
  if (context.unique) {
    const pick = indexPicker(context, 2);
    return { sqlType: 'BOOLEAN', write: (row, out) => out.bytes(pick(row) === 1 ? yes : no) };
  }
  const random = new RowRandom(context.seed);
  const cut = field.true_rate * 4_294_967_296;
  return {
    sqlType: 'BOOLEAN',
    write: (row, out) => out.bytes(random.at(row).next() < cut ? yes : no),
  };
}
