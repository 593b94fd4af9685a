import { z } from 'zod';
import type { EnhanceableField } from './targets.ts';

/**
 * What a value pool may hold, wherever it comes from (a model's reply or the job's
 * `value_pools`): short, single-line, printable strings that fit the field they replace.
 */

/** Values kept per field from a model's reply (more are dropped). */
export const MAX_LLM_POOL_VALUES = 200;
/** Values a job may give per field in `value_pools` (so any recorded pool fits). */
export const MAX_INPUT_POOL_VALUES = 1000;
/** Fewer usable values than this in a reply: the field keeps its foundation values. */
export const MIN_LLM_POOL_VALUES = 5;
/** Longest value of a name-like field (product name, job title, city...). */
export const MAX_SHORT_VALUE_CHARS = 120;
/** Longest sentence (sentence and text fields). */
export const MAX_SENTENCE_CHARS = 300;
/** Fields a job may enhance or give pools for. */
export const MAX_ENHANCED_FIELDS = 20;

// Control characters, format characters (bidi overrides, zero-width...), line and paragraph separators.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
const UNPRINTABLE_RUNS = /[\p{Cc}\p{Cf}\u2028\u2029]+/gu;
/** Spreadsheets run a cell that starts with one of these as a formula. */
const FORMULA_START = /^[=+\-@]/;

export const hasUnprintable = (text: string): boolean => UNPRINTABLE.test(text);

/** Unicode NFC, no control or format characters, single spaces, trimmed. */
export function sanitizeValue(text: string): string {
  return text.normalize('NFC').replace(UNPRINTABLE_RUNS, ' ').replace(/\s+/g, ' ').trim();
}

const characters = (text: string): number => [...text].length;
const words = (text: string): number => text.split(' ').filter((w) => w !== '').length;

/** Why `value` cannot stand in for `field`'s values, or undefined when it can. */
export function misfit(field: EnhanceableField, value: string): string | undefined {
  if (value === '') return 'is empty';
  if (hasUnprintable(value)) return 'holds control or format characters';
  const length = characters(value);
  switch (field.type) {
    case 'string':
      if (length < field.min_length || length > field.max_length) {
        return `has ${length} characters; the field allows ${field.min_length}–${field.max_length}`;
      }
      return undefined;
    case 'sentence': {
      if (length > MAX_SENTENCE_CHARS) return `is longer than ${MAX_SENTENCE_CHARS} characters`;
      const n = words(value);
      if (n < field.min_words || n > field.max_words) {
        return `has ${n} words; the field allows ${field.min_words}–${field.max_words}`;
      }
      return undefined;
    }
    case 'text':
      return length > MAX_SENTENCE_CHARS
        ? `is longer than ${MAX_SENTENCE_CHARS} characters`
        : undefined;
    default:
      return length > MAX_SHORT_VALUE_CHARS
        ? `is longer than ${MAX_SHORT_VALUE_CHARS} characters`
        : undefined;
  }
}

/**
 * A model's list for one field, made safe: strings only, sanitised, formula-like and
 * misfitting values dropped, duplicates (ignoring case) dropped, at most
 * MAX_LLM_POOL_VALUES, in the reply's order (the same reply gives the same pool).
 */
export function llmPoolSchema(field: EnhanceableField) {
  return z
    .array(z.unknown())
    .max(MAX_LLM_POOL_VALUES * 5)
    .transform((items) => {
      const seen = new Set<string>();
      const values: string[] = [];
      for (const item of items) {
        if (typeof item !== 'string') continue;
        const value = sanitizeValue(item);
        if (FORMULA_START.test(value) || misfit(field, value) !== undefined) continue;
        const key = value.toLocaleLowerCase('en-US');
        if (seen.has(key)) continue;
        seen.add(key);
        values.push(value);
        if (values.length === MAX_LLM_POOL_VALUES) break;
      }
      return values;
    })
    .pipe(
      z
        .array(z.string())
        .min(MIN_LLM_POOL_VALUES, `fewer than ${MIN_LLM_POOL_VALUES} usable values`),
    );
}

/** One pool of the job's `value_pools`: checked against its field in the input checks. */
export const inputPoolSchema = z
  .array(
    z
      .string()
      .min(1)
      .max(MAX_SENTENCE_CHARS)
      .refine((v) => !hasUnprintable(v), 'must not hold control or format characters'),
  )
  .min(1)
  .max(MAX_INPUT_POOL_VALUES);
