import { uniqueIndexer } from '../permutation.ts';
import { deriveSeed, RowRandom } from '../prng.ts';
import { CHARSETS } from '../schema/fields.ts';
import type { FieldOf, PooledType } from '../schema/fields.ts';
import type { PoolName } from '../value-pools.ts';
import { allPlain, encodePool, pool } from './context.ts';
import type { FieldContext, ValueColumn } from './context.ts';

const TEXT = 'TEXT';
const DIGIT = '0123456789';

/** Which pools each type samples from (run.ts builds only these). */
export const POOLS_BY_TYPE: Partial<
  Record<FieldOf<'sentence' | 'text'>['type'] | PooledType, PoolName[]>
> = {
  name: ['firstNames', 'lastNames'],
  first_name: ['firstNames'],
  last_name: ['lastNames'],
  email: ['emailNames', 'domains', 'freeEmailDomains'],
  phone: ['phones'],
  address: ['streetAddresses'],
  city: ['cities'],
  country: ['countries'],
  company: ['companies'],
  job_title: ['jobTitles'],
  product_name: ['productNames'],
  url: ['domains', 'urlWords'],
  sentence: ['words'],
  text: ['words'],
};

/** Text made unique by appending the (1-based) row number, e.g. "Anna #17". */
function uniqueSuffix(
  context: FieldContext,
  value: (row: number) => string,
): (row: number) => string {
  const { encoder } = context;
  return (row) => encoder.text(`${value(row)} #${row + 1}`);
}

function fromPool(context: FieldContext, name: PoolName): ValueColumn {
  const values = pool(context, name);
  const random = new RowRandom(context.seed);
  if (context.unique) {
    return {
      sqlType: TEXT,
      token: uniqueSuffix(context, (row) => values[random.at(row).below(values.length)] as string),
    };
  }
  const tokens = encodePool(context.encoder, values);
  return { sqlType: TEXT, token: (row) => tokens[random.at(row).below(tokens.length)] as string };
}

function fullName(context: FieldContext): ValueColumn {
  const first = pool(context, 'firstNames');
  const last = pool(context, 'lastNames');
  const random = new RowRandom(context.seed);
  const value = (row: number): string => {
    random.at(row);
    return `${first[random.below(first.length)] as string} ${last[random.below(last.length)] as string}`;
  };
  if (context.unique) return { sqlType: TEXT, token: uniqueSuffix(context, value) };
  const { encoder } = context;
  const plain = allPlain(encoder, first, last);
  return {
    sqlType: TEXT,
    token: (row) => (plain ? encoder.plain(value(row)) : encoder.text(value(row))),
  };
}

/**
 * first.last42@domain: pooled ASCII name parts, separators and domains. When unique, the
 * number is a permutation of the row index: names contain no digits, so the trailing number
 * alone makes two addresses differ.
 */
function email(context: FieldContext): ValueColumn {
  const names = pool(context, 'emailNames');
  const domains = pool(context, 'domains');
  const free = pool(context, 'freeEmailDomains');
  const random = new RowRandom(context.seed);
  const separators = ['.', '_', '', '.'];
  const number = context.unique
    ? uniqueIndexer(context.rows, deriveSeed(context.seed, 'unique'))
    : undefined;
  const { encoder } = context;
  return {
    sqlType: TEXT,
    token(row) {
      random.at(row);
      let local =
        (names[random.below(names.length)] as string) + (separators[random.below(4)] as string);
      local += names[random.below(names.length)] as string;
      if (number) local += String(number(row));
      else if (random.below(2) === 0) local += String(random.below(100));
      const domain =
        random.below(10) < 6
          ? free[random.below(free.length)]
          : domains[random.below(domains.length)];
      return encoder.plain(`${local}@${domain as string}`);
    },
  };
}

interface DigitTemplate {
  /** Literal text around the digit slots: parts[0] slot parts[1] slot ... parts[n]. */
  parts: string[];
  plain: boolean;
}

/** Keeps a phone number's layout and prefix, turning its last `slots` digits into slots. */
function digitTemplate(sample: string, slots: number, plain: boolean): DigitTemplate {
  const parts: string[] = [];
  let current = '';
  let remaining = [...sample].filter((c) => c >= '0' && c <= '9').length;
  for (const c of sample) {
    const isDigit = c >= '0' && c <= '9';
    if (isDigit && remaining <= slots) {
      parts.push(current);
      current = '';
    } else current += c;
    if (isDigit) remaining -= 1;
  }
  parts.push(current);
  return { parts, plain };
}

function countDigits(text: string): number {
  return [...text].filter((c) => c >= '0' && c <= '9').length;
}

function phone(context: FieldContext): ValueColumn {
  const samples = pool(context, 'phones');
  const random = new RowRandom(context.seed);
  const { encoder } = context;
  const fill = (template: DigitTemplate, digits: (slot: number) => number): string => {
    const parts = template.parts;
    let out = parts[0] as string;
    for (let slot = 1; slot < parts.length; slot += 1)
      out += DIGIT[digits(slot - 1)] + (parts[slot] as string);
    return template.plain ? encoder.plain(out) : encoder.text(out);
  };
  if (context.unique) {
    // One layout for all rows (two layouts could spell the same number); its last k digits
    // carry a permutation of the row index. k ≥ 7 covers the 10,000,000-row maximum.
    const sample = samples.find((s) => countDigits(s) >= 8) ?? samples[0] ?? '';
    const k = Math.min(9, countDigits(sample) - 1);
    if (k < 7 || 10 ** k < context.rows)
      throw new Error('the locale has no phone layout long enough for unique values');
    const template = digitTemplate(sample, k, encoder.isPlain(sample));
    const number = uniqueIndexer(10 ** k, deriveSeed(context.seed, 'unique'));
    return {
      sqlType: TEXT,
      token(row) {
        const digits = String(number(row)).padStart(k, '0');
        return fill(template, (slot) => digits.charCodeAt(slot) - 48);
      },
    };
  }
  const templates = samples.map((s) =>
    digitTemplate(s, Math.min(7, countDigits(s) - 1), encoder.isPlain(s)),
  );
  return {
    sqlType: TEXT,
    token(row) {
      random.at(row);
      return fill(templates[random.below(templates.length)] as DigitTemplate, () =>
        random.below(10),
      );
    },
  };
}

/** A pooled street address with a fresh house number of the same number of digits. */
function address(context: FieldContext): ValueColumn {
  const samples = pool(context, 'streetAddresses').map((sample) => {
    const match = /\d+/.exec(sample);
    if (!match) return { before: sample, width: 0, after: '' };
    return {
      before: sample.slice(0, match.index),
      width: match[0].length,
      after: sample.slice(match.index + match[0].length),
    };
  });
  const random = new RowRandom(context.seed);
  const value = (row: number): string => {
    random.at(row);
    const sample = samples[random.below(samples.length)] as (typeof samples)[number];
    if (sample.width === 0) return sample.before;
    const low = 10 ** (sample.width - 1);
    return `${sample.before}${low + random.below(9 * low)}${sample.after}`;
  };
  if (context.unique) return { sqlType: TEXT, token: uniqueSuffix(context, value) };
  const { encoder } = context;
  return { sqlType: TEXT, token: (row) => encoder.text(value(row)) };
}

function url(context: FieldContext): ValueColumn {
  const domains = pool(context, 'domains');
  const words = pool(context, 'urlWords');
  const random = new RowRandom(context.seed);
  const { encoder } = context;
  return {
    sqlType: TEXT,
    token(row) {
      random.at(row);
      let out = `https://www.${domains[random.below(domains.length)] as string}/${words[random.below(words.length)] as string}`;
      if (random.below(2) === 0) out += `-${words[random.below(words.length)] as string}`;
      if (context.unique) out += `/${row + 1}`;
      return encoder.plain(out);
    },
  };
}

function sentenceMaker(
  context: FieldContext,
): (random: RowRandom, minWords: number, maxWords: number) => string {
  const words = pool(context, 'words');
  const capitalised = words.map((w) => w.charAt(0).toLocaleUpperCase() + w.slice(1));
  return (random, minWords, maxWords) => {
    const count = minWords + random.below(maxWords - minWords + 1);
    let out = capitalised[random.below(words.length)] as string;
    for (let i = 1; i < count; i += 1) out += ` ${words[random.below(words.length)] as string}`;
    return `${out}.`;
  };
}

function sentence(field: FieldOf<'sentence'>, context: FieldContext): ValueColumn {
  const make = sentenceMaker(context);
  const random = new RowRandom(context.seed);
  const value = (row: number): string => make(random.at(row), field.min_words, field.max_words);
  return {
    sqlType: TEXT,
    token: context.unique
      ? uniqueSuffix(context, value)
      : (row) => context.encoder.text(value(row)),
  };
}

function paragraph(field: FieldOf<'text'>, context: FieldContext): ValueColumn {
  const make = sentenceMaker(context);
  const random = new RowRandom(context.seed);
  const value = (row: number): string => {
    random.at(row);
    const count = field.min_sentences + random.below(field.max_sentences - field.min_sentences + 1);
    let out = make(random, 4, 12);
    for (let i = 1; i < count; i += 1) out += ` ${make(random, 4, 12)}`;
    return out;
  };
  return {
    sqlType: TEXT,
    token: context.unique
      ? uniqueSuffix(context, value)
      : (row) => context.encoder.text(value(row)),
  };
}

/**
 * Random characters. When unique, the first k characters spell a permutation of the row
 * index in base |charset| (k the fewest that can number every row), the rest stay random.
 */
function randomString(field: FieldOf<'string'>, context: FieldContext): ValueColumn {
  const chars = CHARSETS[field.charset];
  const base = chars.length;
  const random = new RowRandom(context.seed);
  let prefix = 0;
  let number: ((row: number) => number) | undefined;
  if (context.unique) {
    while (base ** prefix < context.rows) prefix += 1;
    number = uniqueIndexer(base ** prefix, deriveSeed(context.seed, 'unique'));
  }
  const minLength = Math.max(field.min_length, prefix);
  const { encoder } = context;
  const plain = encoder.isPlain(chars);
  return {
    sqlType: `VARCHAR(${Math.max(1, field.max_length)})`,
    token(row) {
      random.at(row);
      const length = minLength + random.below(field.max_length - minLength + 1);
      let out = '';
      if (number) {
        let n = number(row);
        for (let i = 0; i < prefix; i += 1) {
          out += chars[n % base] as string;
          n = Math.floor(n / base);
        }
      }
      for (let i = out.length; i < length; i += 1) out += chars[random.below(base)] as string;
      return plain ? encoder.plain(out) : encoder.text(out);
    },
  };
}

const POOL_OF: Partial<Record<PooledType, PoolName>> = {
  first_name: 'firstNames',
  last_name: 'lastNames',
  city: 'cities',
  country: 'countries',
  company: 'companies',
  job_title: 'jobTitles',
  product_name: 'productNames',
};

export function textColumn(
  field: FieldOf<'string' | 'sentence' | 'text'> | Extract<FieldOf<PooledType>, { type: string }>,
  context: FieldContext,
): ValueColumn {
  switch (field.type) {
    case 'string':
      return randomString(field, context);
    case 'sentence':
      return sentence(field, context);
    case 'text':
      return paragraph(field, context);
    case 'name':
      return fullName(context);
    case 'email':
      return email(context);
    case 'phone':
      return phone(context);
    case 'address':
      return address(context);
    case 'url':
      return url(context);
    default:
      return fromPool(context, POOL_OF[field.type] as PoolName);
  }
}
