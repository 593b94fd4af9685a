import { formatDay, formatSecond } from '../dates.ts';
import { daySpan, secondSpan } from '../ranges.ts';
import type { FieldOf } from '../schema/fields.ts';
import type { FieldContext, ValueColumn } from './context.ts';
import { indexPicker } from './numeric.ts';

/** Up to this many days (~110 years) every date is formatted once, up front. */
const PRECOMPUTED_DAYS = 40_000;

export function dateColumn(field: FieldOf<'date'>, context: FieldContext): ValueColumn {
  const { first, count } = daySpan(field);
  const pick = indexPicker(context, count);
  const { encoder } = context;
  if (count <= PRECOMPUTED_DAYS) {
    const tokens = Array.from({ length: count }, (_, i) => encoder.plain(formatDay(first + i)));
    return { sqlType: 'DATE', token: (row) => tokens[pick(row)] as string };
  }
  return { sqlType: 'DATE', token: (row) => encoder.plain(formatDay(first + pick(row))) };
}

export function dateTimeColumn(field: FieldOf<'datetime'>, context: FieldContext): ValueColumn {
  const { first, count } = secondSpan(field);
  const pick = indexPicker(context, count);
  const { encoder } = context;
  return {
    sqlType: 'TIMESTAMP WITH TIME ZONE',
    token: (row) => encoder.plain(formatSecond(first + pick(row))),
  };
}
