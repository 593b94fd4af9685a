import { parseDay, parseSecond } from './dates.ts';
import { CHARSETS } from './schema/fields.ts';
import type { FieldOf, FieldSpec } from './schema/fields.ts';

/**
 * The value ranges of field types, shared by validation (is `unique` possible?) and by
 * generation, so both agree on exactly which values a field can take.
 */

/** Scaled integers k such that k / 10^decimals lies in [min, max]. */
export function decimalRange(field: Pick<FieldOf<'number'>, 'min' | 'max' | 'decimals'>): {
  scale: number;
  lo: number;
  hi: number;
} {
  const scale = 10 ** field.decimals;
  return {
    scale,
    lo: roundTowards(field.min * scale, Math.ceil),
    hi: roundTowards(field.max * scale, Math.floor),
  };
}

/** ceil/floor that forgive binary noise (0.1 * 100 = 10.000000000000002 is 10, not 11). */
function roundTowards(x: number, direction: (x: number) => number): number {
  const nearest = Math.round(x);
  return Math.abs(x - nearest) < 1e-6 ? nearest : direction(x);
}

export function daySpan(field: Pick<FieldOf<'date'>, 'min' | 'max'>): {
  first: number;
  count: number;
} {
  const first = parseDay(field.min);
  return { first, count: parseDay(field.max) - first + 1 };
}

export function secondSpan(field: Pick<FieldOf<'datetime'>, 'min' | 'max'>): {
  first: number;
  count: number;
} {
  const first = parseSecond(field.min);
  return { first, count: parseSecond(field.max) - first + 1 };
}

/** Enum values without repeats (unique sampling draws from these). */
export function distinctEnumValues(
  values: readonly (string | number | boolean)[],
): (string | number | boolean)[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const key = `${typeof value}:${String(value)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * How many distinct values a field can take; Infinity when uniqueness is made by construction
 * (uuid, or a distinct number/suffix in text), undefined when `unique` is not supported.
 * Foreign keys are answered by the caller (they depend on the referenced table).
 */
export function distinctCapacity(field: FieldSpec): number | undefined {
  switch (field.type) {
    case 'integer':
      return field.max - field.min + 1;
    case 'number': {
      const { lo, hi } = decimalRange(field);
      return Math.max(0, hi - lo + 1);
    }
    case 'boolean':
      return 2;
    case 'string':
      return CHARSETS[field.charset].length ** field.max_length;
    case 'date':
      return daySpan(field).count;
    case 'datetime':
      return secondSpan(field).count;
    case 'enum':
      return distinctEnumValues(field.values).length;
    case 'pattern':
      return undefined;
    default:
      return Number.POSITIVE_INFINITY;
  }
}
