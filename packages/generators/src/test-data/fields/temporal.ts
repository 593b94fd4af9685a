import { civilPacked } from '../dates.ts';
import { daySpan, secondSpan } from '../ranges.ts';
import type { FieldOf } from '../schema/fields.ts';
import { utf8 } from '../writers/bytes.ts';
import type { ByteChunk } from '../writers/bytes.ts';
import type { FieldContext, ValueColumn } from './context.ts';
import { indexPicker } from './numeric.ts';
import { floor } from '../math.ts';

const SECONDS_PER_DAY = 86_400;
const DASH = 45;
const COLON = 58;
const T = 84;
const Z = 90;

function writeDay(out: ByteChunk, day: number): void {
  const packed = civilPacked(day);
  out.padded(floor(packed / 512), 4);
  out.byte(DASH);
  out.padded((packed >> 5) & 15, 2);
  out.byte(DASH);
  out.padded(packed & 31, 2);
}

export function dateColumn(field: FieldOf<'date'>, context: FieldContext): ValueColumn {
  const { first, count } = daySpan(field);
  const pick = indexPicker(context, count);
  const quote = utf8(context.encoder.quote);
  return {
    sqlType: 'DATE',
    write(row, out) {
      out.bytes(quote);
      writeDay(out, first + pick(row));
      out.bytes(quote);
    },
  };
}

export function dateTimeColumn(field: FieldOf<'datetime'>, context: FieldContext): ValueColumn {
  const { first, count } = secondSpan(field);
  const pick = indexPicker(context, count);
  const quote = utf8(context.encoder.quote);
  return {
    sqlType: 'TIMESTAMP WITH TIME ZONE',
    write(row, out) {
      const second = first + pick(row);
      const day = floor(second / SECONDS_PER_DAY);
      let rest = second - day * SECONDS_PER_DAY;
      const h = floor(rest / 3600);
      rest -= h * 3600;
      const m = floor(rest / 60);
      out.bytes(quote);
      writeDay(out, day);
      out.byte(T);
      out.padded(h, 2);
      out.byte(COLON);
      out.padded(m, 2);
      out.byte(COLON);
      out.padded(rest - m * 60, 2);
      out.byte(Z);
      out.bytes(quote);
    },
  };
}
