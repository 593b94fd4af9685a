import { formatDay, formatSecond } from './dates.ts';
import { formatScaled } from './fields/numeric.ts';
import { daySpan, decimalRange, secondSpan } from './ranges.ts';
import { compilePattern } from './regex.ts';
import { CHARSETS } from './schema/fields.ts';
import type { FieldOf, FieldSpec } from './schema/fields.ts';
import type { TableSpec } from './schema/input.ts';
import type { Column, Encoder, TableShape } from './writers/types.ts';

/**
 * `cases` mode: per field, values a form or an API should accept (valid), values at the edges
 * of what it should accept (boundary) and values it should reject (invalid), each with the
 * reason. Valid samples come from the same generator as rows mode, so they look alike.
 */

export type CaseKind = 'valid' | 'boundary' | 'invalid';
export type CaseValue = string | number | boolean | null;

export interface TestCase {
  field: string;
  kind: CaseKind;
  value: CaseValue;
  reason: string;
}

/** Generated values as plain strings (no quoting): case values are encoded by the writer later. */
export const rawEncoder: Encoder = {
  text: (value) => value,
  isPlain: () => true,
  quote: '',
  boolean: (value) => (value ? 'true' : 'false'),
  null: '',
};

const MAX_ENUM_CASES = 20;

interface CaseInput {
  field: FieldSpec;
  /** Generated (raw) values of this field, rows 0, 1, 2... */
  samples: string[];
  /** The tables of the job, for foreign keys. */
  tables: readonly TableSpec[];
  /** Raw generated values of other tables' fields, for foreign keys. */
  sampleOf(table: string, field: string): string[];
}

type Add = (kind: CaseKind, value: CaseValue, reason: string) => void;

export function fieldCases(input: CaseInput): TestCase[] {
  const { field } = input;
  const cases: TestCase[] = [];
  const seen = new Set<string>();
  const add: Add = (kind, value, reason) => {
    const key = `${kind}:${typeof value}:${String(value)}`;
    if (seen.has(key)) return;
    seen.add(key);
    cases.push({ field: field.name, kind, value, reason });
  };
  typeCases(input, add);
  if (field.nullable > 0)
    add('valid', null, `null: the field is nullable (${field.nullable * 100}% of rows)`);
  else add('invalid', null, 'null: the field is required');
  const first = input.samples[0];
  if (field.unique && first !== undefined)
    add('invalid', typed(field, first), 'duplicate of another row’s value: the field is unique');
  return cases;
}

function typed(field: FieldSpec, raw: string): CaseValue {
  if (field.type === 'integer' || field.type === 'number') return Number(raw);
  if (field.type === 'boolean') return raw === 'true';
  if (field.type === 'enum') return field.values.find((v) => String(v) === raw) ?? raw;
  return raw;
}

function addSamples(input: CaseInput, add: Add, reason = 'typical generated value'): void {
  for (const raw of input.samples) add('valid', typed(input.field, raw), reason);
}

function typeCases(input: CaseInput, add: Add): void {
  const { field } = input;
  switch (field.type) {
    case 'uuid':
      return uuidCases(input, add);
    case 'integer':
      return integerCases(field, input, add);
    case 'number':
      return numberCases(field, input, add);
    case 'boolean':
      add('valid', true, 'true');
      add('valid', false, 'false');
      add('invalid', 'yes', 'a word instead of a boolean');
      add('invalid', 1, 'a number instead of a boolean');
      add('invalid', '', 'empty');
      return;
    case 'string':
      return stringCases(field, input, add);
    case 'email':
      return emailCases(input, add);
    case 'phone':
      addSamples(input, add);
      if (input.samples[0])
        add('boundary', input.samples[0].replace(/\D/g, ''), 'digits only, no separators');
      add('boundary', '+1 202 555 0143', 'international format with a country code');
      add('invalid', 'abc-def-ghij', 'letters instead of digits');
      add('invalid', '12', 'too few digits');
      add('invalid', `${input.samples[0] ?? '555'}1234567890`, 'too many digits');
      add('invalid', '', 'empty');
      return;
    case 'url':
      addSamples(input, add);
      add(
        'boundary',
        `https://example.com/${'a'.repeat(2030)}`,
        '2,050 characters: above the 2,048 many systems accept',
      );
      add(
        'boundary',
        'https://xn--bcher-kva.example/ä?q=1#top',
        'punycode host, non-ASCII path, query and fragment',
      );
      add('invalid', 'example.com/page', 'no scheme');
      add('invalid', 'javascript:alert(1)', 'script scheme');
      add('invalid', 'https://exa mple.com', 'space in the host');
      add('invalid', '', 'empty');
      return;
    case 'date':
      return dateCases(field, input, add);
    case 'datetime':
      return dateTimeCases(field, input, add);
    case 'enum':
      return enumCases(field, add);
    case 'pattern':
      return patternCases(field, input, add);
    case 'foreign_key':
      return foreignKeyCases(field, input, add);
    default:
      return textCases(input, add);
  }
}

function uuidCases(input: CaseInput, add: Add): void {
  addSamples(input, add);
  const sample = input.samples[0] ?? '3b241101-e2bb-4255-8caf-4136c566a962';
  add('boundary', '00000000-0000-4000-8000-000000000000', 'lowest version 4 UUID');
  add('boundary', 'ffffffff-ffff-4fff-bfff-ffffffffffff', 'highest version 4 UUID');
  add('boundary', sample.toUpperCase(), 'upper-case hex: valid, often mishandled');
  add('invalid', '00000000-0000-0000-0000-000000000000', 'nil UUID: not version 4');
  add('invalid', sample.replaceAll('-', ''), 'no hyphens');
  add('invalid', sample.slice(0, -1), '35 characters: one short');
  add('invalid', `g${sample.slice(1)}`, 'non-hex character');
  add('invalid', '', 'empty');
}

function integerCases(field: FieldOf<'integer'>, input: CaseInput, add: Add): void {
  addSamples(input, add);
  add('boundary', field.min, 'min: the smallest allowed value');
  add('boundary', field.max, 'max: the largest allowed value');
  if (field.min < field.max) {
    add('boundary', field.min + 1, 'just above min');
    add('boundary', field.max - 1, 'just below max');
  }
  if (Number.isSafeInteger(field.min - 1)) add('invalid', field.min - 1, 'below min');
  if (Number.isSafeInteger(field.max + 1)) add('invalid', field.max + 1, 'above max');
  add('invalid', field.min + 0.5, 'not a whole number');
  add('invalid', '12abc', 'not a number');
  add('invalid', '', 'empty');
}

function numberCases(field: FieldOf<'number'>, input: CaseInput, add: Add): void {
  addSamples(input, add);
  const { scale, lo, hi } = decimalRange(field);
  const value = (k: number): number => Number(formatScaled(k, scale, field.decimals));
  const step = formatScaled(1, scale, field.decimals);
  add('boundary', value(lo), 'min: the smallest allowed value');
  add('boundary', value(hi), 'max: the largest allowed value');
  if (lo < hi) add('boundary', value(lo + 1), `one step (${step}) above min`);
  add('invalid', value(lo - 1), `one step (${step}) below min`);
  add('invalid', value(hi + 1), `one step (${step}) above max`);
  add('invalid', value(lo) + 1 / (scale * 10), `more than ${field.decimals} decimals`);
  add('invalid', 'NaN', 'not a number');
  add('invalid', '', 'empty');
}

function stringCases(field: FieldOf<'string'>, input: CaseInput, add: Add): void {
  addSamples(input, add);
  const chars = CHARSETS[field.charset];
  const text = (length: number): string =>
    Array.from({ length }, (_, i) => chars[(i * 7 + 3) % chars.length] as string).join('');
  add('boundary', text(field.min_length), `shortest allowed: ${field.min_length} characters`);
  add('boundary', text(field.max_length), `longest allowed: ${field.max_length} characters`);
  if (field.min_length === 0) add('boundary', '', 'empty: allowed because min_length is 0');
  else add('invalid', '', `empty: shorter than min_length ${field.min_length}`);
  if (field.min_length > 1)
    add(
      'invalid',
      text(field.min_length - 1),
      `${field.min_length - 1} characters: one below min_length`,
    );
  add(
    'invalid',
    text(field.max_length + 1),
    `${field.max_length + 1} characters: one above max_length`,
  );
  const outside = ['!', ' ', 'é'].find((c) => !chars.includes(c)) ?? '!';
  if (field.max_length > 0)
    add(
      'invalid',
      text(Math.max(field.min_length, 1) - 1) + outside,
      `character "${outside}" outside the ${field.charset} charset`,
    );
}

function emailCases(input: CaseInput, add: Add): void {
  addSamples(input, add);
  add('boundary', `${'a'.repeat(64)}@example.com`, '64-character local part: the maximum');
  add(
    'boundary',
    `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`,
    '254 characters: the longest address',
  );
  add('boundary', 'first.last+tag@example.co.uk', 'plus addressing and a two-level public suffix');
  add('invalid', 'plainaddress', 'no @');
  add('invalid', 'user@@example.com', 'two @');
  add('invalid', 'user@', 'no domain');
  add('invalid', '@example.com', 'no local part');
  add('invalid', 'user name@example.com', 'space in the local part');
  add('invalid', `${'a'.repeat(65)}@example.com`, '65-character local part: one above the maximum');
  add('invalid', 'user..name@example.com', 'two dots in a row');
  add('invalid', '', 'empty');
}

function textCases(input: CaseInput, add: Add): void {
  addSamples(input, add);
  const longest = input.samples.reduce((a, b) => (b.length > a.length ? b : a), '');
  if (longest)
    add(
      'boundary',
      `${longest} ${'x'.repeat(Math.max(0, 254 - longest.length))}`.slice(0, 255),
      '255 characters: a common column limit',
    );
  add('boundary', "Zoë O'Brien-Łukasiewicz", 'apostrophe, hyphen and non-ASCII letters');
  add(
    'boundary',
    "Robert'); DROP TABLE students;--",
    'SQL metacharacters: must be passed as a parameter',
  );
  add('boundary', '<script>alert(1)</script>', 'markup: must be escaped when displayed');
  add('boundary', 'a, "quoted"\nsecond line', 'comma, quotes and a line break');
  add('invalid', '', 'empty');
  add('invalid', '   ', 'only spaces');
}

function dateCases(field: FieldOf<'date'>, input: CaseInput, add: Add): void {
  addSamples(input, add);
  const { first, count } = daySpan(field);
  const last = first + count - 1;
  add('boundary', formatDay(first), 'min: the earliest allowed date');
  add('boundary', formatDay(last), 'max: the latest allowed date');
  for (let day = first; day <= Math.min(last, first + 366 * 8); day += 1) {
    const text = formatDay(day);
    if (text.endsWith('-02-29')) {
      add('boundary', text, 'leap day');
      break;
    }
  }
  add('invalid', formatDay(first - 1), 'the day before min');
  add('invalid', formatDay(last + 1), 'the day after max');
  add('invalid', '2023-02-30', 'no such day');
  add('invalid', '2023-13-01', 'month 13');
  add('invalid', '01/02/2023', 'not ISO 8601 (ambiguous day/month order)');
  add('invalid', '', 'empty');
}

function dateTimeCases(field: FieldOf<'datetime'>, input: CaseInput, add: Add): void {
  addSamples(input, add);
  const { first, count } = secondSpan(field);
  const last = first + count - 1;
  add('boundary', formatSecond(first), 'min: the earliest allowed instant');
  add('boundary', formatSecond(last), 'max: the latest allowed instant');
  const sample = input.samples[0];
  if (sample) {
    const shifted = formatSecond(Math.floor(Date.parse(sample) / 1000) + 7200).replace(
      'Z',
      '+02:00',
    );
    add('boundary', shifted, 'the same instant as a sample with a +02:00 offset');
  }
  add('invalid', formatSecond(first - 1), 'one second before min');
  add('invalid', formatSecond(last + 1), 'one second after max');
  add('invalid', '2023-01-01T25:00:00Z', 'hour 25');
  add('invalid', '2023-01-01 10:00', 'no time zone and not ISO 8601');
  add('invalid', '', 'empty');
}

function enumCases(field: FieldOf<'enum'>, add: Add): void {
  for (const value of field.values.slice(0, MAX_ENUM_CASES))
    add('valid', value, 'one of the allowed values');
  if (field.weights) {
    const weights = field.weights;
    const rarest = weights.indexOf(Math.min(...weights));
    const value = field.values[rarest];
    if (value !== undefined) add('boundary', value, `the rarest value (weight ${weights[rarest]})`);
  }
  const allowed = new Set(field.values.map(String));
  const firstText = field.values.find((v): v is string => typeof v === 'string');
  const candidates: [CaseValue, string][] = [
    ['not_a_listed_value', 'not one of the allowed values'],
    [
      firstText === undefined ? null : firstText.toUpperCase(),
      'an allowed value in the wrong case',
    ],
    [firstText === undefined ? null : ` ${firstText} `, 'an allowed value with surrounding spaces'],
    ['', 'empty'],
  ];
  for (const [value, reason] of candidates) {
    if (value !== null && !allowed.has(String(value))) add('invalid', value, reason);
  }
}

function patternCases(field: FieldOf<'pattern'>, input: CaseInput, add: Add): void {
  const pattern = compilePattern(field.pattern);
  addSamples(input, add, `matches /${field.pattern}/`);
  add('boundary', pattern.shortest, 'the shortest value the pattern allows');
  add('boundary', pattern.longest, 'the longest value the generator makes for the pattern');
  const sample = input.samples[0] ?? pattern.shortest;
  const candidates: [string, string][] = [
    ['', 'empty'],
    [`${sample}!`, 'an extra character at the end'],
    [` ${sample}`, 'a leading space'],
    [sample.slice(0, -1), 'one character short'],
    [sample.slice(1), 'first character missing'],
    [
      sample.toLowerCase() === sample ? sample.toUpperCase() : sample.toLowerCase(),
      'letters in the other case',
    ],
    [`${pattern.longest}${pattern.longest}`, 'the longest value, twice'],
  ];
  let invalid = 0;
  for (const [value, reason] of candidates) {
    // Longer than any value: no match possible, no need to run the matcher.
    if (invalid >= 4 || (value.length <= pattern.measure.maxLength && pattern.matches(value)))
      continue;
    add('invalid', value, `does not match /${field.pattern}/: ${reason}`);
    invalid += 1;
  }
}

function foreignKeyCases(field: FieldOf<'foreign_key'>, input: CaseInput, add: Add): void {
  addSamples(input, add, `an existing ${field.table}.${field.field}`);
  const target = input.tables
    .find((t) => t.name === field.table)
    ?.fields.find((f) => f.name === field.field);
  const sample = input.sampleOf(field.table, field.field)[0] ?? '';
  let missing: CaseValue = `missing-${sample}`;
  if (target?.type === 'uuid') missing = '00000000-0000-4000-8000-000000000000';
  else if (target?.type === 'integer')
    missing = Number.isSafeInteger(target.max + 1) ? target.max + 1 : target.min - 1;
  add('invalid', missing, `no such ${field.table}.${field.field}: a dangling reference`);
  add('invalid', '', 'empty');
}

/** The cases of one table as a table of its own (field, kind, value, reason) for the writers. */
export function casesTable(name: string, cases: readonly TestCase[], encoder: Encoder): TableShape {
  const encode = (value: CaseValue): string => {
    if (value === null) return encoder.null;
    if (typeof value === 'number') return String(value);
    if (typeof value === 'boolean') return encoder.boolean(value);
    return encoder.text(value);
  };
  const column = (columnName: string, pick: (c: TestCase) => CaseValue): Column => ({
    name: columnName,
    write: (row, out) => out.utf8(encode(pick(cases[row] as TestCase))),
    sql: { type: 'TEXT', notNull: false, unique: false },
  });
  return {
    name,
    rows: cases.length,
    columns: [
      column('field', (c) => c.field),
      column('kind', (c) => c.kind),
      column('value', (c) => c.value),
      column('reason', (c) => c.reason),
    ],
  };
}
