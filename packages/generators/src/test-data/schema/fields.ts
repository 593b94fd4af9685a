import { z } from 'zod';
import { isCalendarDate, parseSecond } from '../dates.ts';
import {
  MAX_ENUM_VALUES,
  MAX_PATTERN_LENGTH,
  MAX_PATTERN_VALUE_LENGTH,
  MAX_PATTERN_VALUE_STEPS,
  MAX_STRING_LENGTH,
} from '../limits.ts';
import { compilePattern } from '../regex.ts';

/** Also used for file names (`<table>.csv`) and SQL identifiers, hence the strict form. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const IDENTIFIER_MESSAGE =
  'use letters, digits and _, starting with a letter or _ (at most 63 characters)';

export const identifier = z.string().regex(IDENTIFIER, IDENTIFIER_MESSAGE);

const safeInt = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);

const common = {
  name: identifier.describe('Column name: letters, digits and _, starting with a letter or _.'),
  nullable: z
    .union([z.boolean(), z.number().min(0).max(1)])
    .default(0)
    .transform((value) => (value === true ? 0.1 : value === false ? 0 : value))
    .describe('Share of rows left null (0–1); true means 0.1.'),
  unique: z
    .boolean()
    .default(false)
    .describe(
      'No two non-null rows share a value. Numbers, dates, enums and fixed-length strings draw from a ' +
        'shuffled permutation of their range (rejected when the range is smaller than the row count); ' +
        'emails and phones embed a distinct number; other text gets " #<row>" appended; uuids are unique anyway.',
    ),
};

const isoDate = z.string().refine(isCalendarDate, 'expected a date as YYYY-MM-DD');
const isoDateTime = z
  .string()
  .refine(
    (text) => isCalendarDate(text) || z.iso.datetime({ offset: true }).safeParse(text).success,
    'expected an ISO date-time such as 2024-05-01T12:00:00Z, or a date YYYY-MM-DD',
  );

const uuidField = z
  .object({ ...common, type: z.literal('uuid') })
  .strict()
  .describe('Random UUID v4 (unique by construction).');

const integerField = z
  .object({
    ...common,
    type: z.literal('integer'),
    min: safeInt.default(0).describe('Smallest value (inclusive).'),
    max: safeInt.default(1_000_000).describe('Largest value (inclusive).'),
  })
  .strict()
  .refine((v) => v.min <= v.max, { path: ['max'], message: 'max must be ≥ min' })
  .describe('Whole number, uniform in [min, max].');

const numberField = z
  .object({
    ...common,
    type: z.literal('number'),
    min: z.number().min(-1e15).max(1e15).default(0).describe('Smallest value (inclusive).'),
    max: z.number().min(-1e15).max(1e15).default(1000).describe('Largest value (inclusive).'),
    decimals: z
      .number()
      .int()
      .min(0)
      .max(6)
      .default(2)
      .describe('Digits after the decimal point (always written).'),
  })
  .strict()
  .refine((v) => v.min <= v.max, { path: ['max'], message: 'max must be ≥ min' })
  .describe('Decimal number, uniform in [min, max], with a fixed number of decimals.');

const booleanField = z
  .object({
    ...common,
    type: z.literal('boolean'),
    true_rate: z.number().min(0).max(1).default(0.5).describe('Share of rows that are true.'),
  })
  .strict()
  .describe('true or false.');

export const CHARSETS = {
  alphanumeric: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  alpha: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
  lower: 'abcdefghijklmnopqrstuvwxyz',
  upper: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  numeric: '0123456789',
  hex: '0123456789abcdef',
} as const;

const stringField = z
  .object({
    ...common,
    type: z.literal('string'),
    min_length: z
      .number()
      .int()
      .min(0)
      .max(MAX_STRING_LENGTH)
      .default(8)
      .describe('Shortest length.'),
    max_length: z
      .number()
      .int()
      .min(0)
      .max(MAX_STRING_LENGTH)
      .default(16)
      .describe('Longest length.'),
    charset: z
      .enum(Object.keys(CHARSETS) as [keyof typeof CHARSETS, ...(keyof typeof CHARSETS)[]])
      .default('alphanumeric')
      .describe('Characters to draw from.'),
  })
  .strict()
  .refine((v) => v.min_length <= v.max_length, {
    path: ['max_length'],
    message: 'max_length must be ≥ min_length',
  })
  .describe('Random characters from a charset, length uniform in [min_length, max_length].');

export const POOLED_TYPES = [
  'name',
  'first_name',
  'last_name',
  'email',
  'phone',
  'address',
  'city',
  'country',
  'company',
  'job_title',
  'product_name',
  'url',
] as const;
export type PooledType = (typeof POOLED_TYPES)[number];

const pooledField = z
  .object({ ...common, type: z.literal(POOLED_TYPES) })
  .strict()
  .describe(
    'Realistic values in the job locale: name (first + last), first_name, last_name, email, phone, ' +
      'address (street and number), city, country, company, job_title, product_name, url.',
  );

const sentenceField = z
  .object({
    ...common,
    type: z.literal('sentence'),
    min_words: z.number().int().min(1).max(200).default(4).describe('Fewest words.'),
    max_words: z.number().int().min(1).max(200).default(12).describe('Most words.'),
  })
  .strict()
  .refine((v) => v.min_words <= v.max_words, {
    path: ['max_words'],
    message: 'max_words must be ≥ min_words',
  })
  .describe('One sentence of real words, capitalised, ending with a full stop.');

const textField = z
  .object({
    ...common,
    type: z.literal('text'),
    min_sentences: z.number().int().min(1).max(50).default(1).describe('Fewest sentences.'),
    max_sentences: z.number().int().min(1).max(50).default(3).describe('Most sentences.'),
  })
  .strict()
  .refine((v) => v.min_sentences <= v.max_sentences, {
    path: ['max_sentences'],
    message: 'max_sentences must be ≥ min_sentences',
  })
  .describe('A short paragraph of 4–12 word sentences.');

const dateField = z
  .object({
    ...common,
    type: z.literal('date'),
    min: isoDate.default('2000-01-01').describe('Earliest date (inclusive), YYYY-MM-DD.'),
    max: isoDate.default('2025-12-31').describe('Latest date (inclusive), YYYY-MM-DD.'),
  })
  .strict()
  .refine((v) => !(safeSecond(v.min) > safeSecond(v.max)), {
    path: ['max'],
    message: 'max must not be before min',
  })
  .describe('Calendar date, written YYYY-MM-DD.');

const dateTimeField = z
  .object({
    ...common,
    type: z.literal('datetime'),
    min: isoDateTime
      .default('2020-01-01T00:00:00Z')
      .describe('Earliest instant (inclusive), ISO 8601.'),
    max: isoDateTime
      .default('2025-12-31T23:59:59Z')
      .describe('Latest instant (inclusive), ISO 8601.'),
  })
  .strict()
  .refine((v) => !(safeSecond(v.min) > safeSecond(v.max)), {
    path: ['max'],
    message: 'max must not be before min',
  })
  .describe('Instant in UTC with whole seconds, written YYYY-MM-DDTHH:MM:SSZ.');

const enumValue = z.union([z.string().max(MAX_STRING_LENGTH), z.number(), z.boolean()]);

const enumField = z
  .object({
    ...common,
    type: z.literal('enum'),
    values: z.array(enumValue).min(1).max(MAX_ENUM_VALUES).describe('The values to choose from.'),
    weights: z
      .array(z.number().min(0))
      .optional()
      .describe('Relative weight of each value (same length as values); uniform when absent.'),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (!v.weights) return;
    if (v.weights.length !== v.values.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['weights'],
        message: `weights has ${v.weights.length} entries but values has ${v.values.length}`,
      });
    } else if (v.weights.every((w) => w >= 0) && !(v.weights.reduce((sum, w) => sum + w, 0) > 0)) {
      ctx.addIssue({ code: 'custom', path: ['weights'], message: 'weights must not all be 0' });
    }
  })
  .describe('One of the given values, optionally weighted.');

const patternField = z
  .object({
    ...common,
    type: z.literal('pattern'),
    pattern: z
      .string()
      .min(1)
      .max(MAX_PATTERN_LENGTH)
      .describe(
        'Regular expression the values match, e.g. "[A-Z]{3}-\\\\d{4}" in JSON. Supported: literals, escapes ' +
          '(\\d \\w \\s and negations, \\xHH, \\uHHHH), ., [classes], (groups), |, ? * + {n} {n,} {n,m}; ' +
          'unbounded repeats add up to 8. Not supported: backreferences, lookaround, \\b, flags. One value ' +
          `may have at most ${MAX_PATTERN_VALUE_LENGTH.toLocaleString('en-US')} characters; nested counted ` +
          'repeats may multiply to at most 1000.',
      ),
  })
  .strict()
  .superRefine((v, ctx) => {
    try {
      compilePattern(v.pattern, {
        maxLength: MAX_PATTERN_VALUE_LENGTH,
        maxSteps: MAX_PATTERN_VALUE_STEPS,
      });
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['pattern'], message: (error as Error).message });
    }
  })
  .describe('Strings matching a regular expression.');

const foreignKeyField = z
  .object({
    ...common,
    type: z.literal('foreign_key'),
    table: identifier.describe('An earlier table of this job.'),
    field: identifier.describe('A uuid or unique, non-nullable field of that table.'),
  })
  .strict()
  .describe(
    'A value of another table’s key column, from a random existing row (a distinct row each when unique).',
  );

export const fieldSchema = z.discriminatedUnion('type', [
  uuidField,
  integerField,
  numberField,
  booleanField,
  stringField,
  pooledField,
  sentenceField,
  textField,
  dateField,
  dateTimeField,
  enumField,
  patternField,
  foreignKeyField,
]);

export type FieldSpec = z.output<typeof fieldSchema>;
export type FieldType = FieldSpec['type'];
export type FieldOf<T extends FieldType> = Extract<FieldSpec, { type: T }>;

function safeSecond(text: string): number {
  try {
    return parseSecond(text);
  } catch {
    return Number.NaN;
  }
}
