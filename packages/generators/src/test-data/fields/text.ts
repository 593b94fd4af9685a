import { uniqueIndexer } from '../permutation.ts';
import { deriveSeed, RowRandom } from '../prng.ts';
import { CHARSETS } from '../schema/fields.ts';
import type { FieldOf, FieldSpec, PooledType } from '../schema/fields.ts';
import type { PoolName } from '../value-pools.ts';
import { utf8 } from '../writers/bytes.ts';
import type { ByteChunk } from '../writers/bytes.ts';
import { allPlain, encodePool, pool, rawPool, textWriter } from './context.ts';
import type { FieldContext, ValueColumn } from './context.ts';

/**
 * Text fields. Where every piece is known to need no escaping in the output format (checked
 * once per pool), values are composed straight into the output as bytes; otherwise they are
 * built as strings and escaped per row.
 */

const TEXT = 'TEXT';
const SPACE = 32;
const HYPHEN = 45;
const POINT = 46;
const SLASH = 47;
const AT = 64;

export type TextField = Extract<FieldSpec, { type: 'string' | 'sentence' | 'text' | PooledType }>;

/** Which pools each type samples from (only these are built). */
export const POOLS_BY_TYPE: Partial<Record<TextField['type'], PoolName[]>> = {
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

/** A column whose values are strings made per row, escaped per row. */
function perRowText(context: FieldContext, value: (row: number) => string): ValueColumn {
  const write = textWriter(context.encoder);
  return { sqlType: TEXT, write: (row, out) => write(value(row), out) };
}

/** Text made unique by appending the (1-based) row number, e.g. "Anna #17". */
function withRowSuffix(context: FieldContext, value: (row: number) => string): ValueColumn {
  return perRowText(context, (row) => `${value(row)} #${row + 1}`);
}

function fromPool(context: FieldContext, name: PoolName): ValueColumn {
  const values = pool(context, name);
  const random = new RowRandom(context.seed);
  if (context.unique) return withRowSuffix(context, (row) => values[random.at(row).below(values.length)] as string);
  const tokens = encodePool(context.encoder, values);
  return { sqlType: TEXT, write: (row, out) => out.bytes(tokens[random.at(row).below(tokens.length)] as Uint8Array) };
}

function fullName(context: FieldContext): ValueColumn {
  const first = pool(context, 'firstNames');
  const last = pool(context, 'lastNames');
  const random = new RowRandom(context.seed);
  if (context.unique || !allPlain(context.encoder, first, last)) {
    const value = (row: number): string => {
      random.at(row);
      return `${first[random.below(first.length)] as string} ${last[random.below(last.length)] as string}`;
    };
    return context.unique ? withRowSuffix(context, value) : perRowText(context, value);
  }
  const firstBytes = rawPool(first);
  const lastBytes = rawPool(last);
  const quote = utf8(context.encoder.quote);
  return {
    sqlType: TEXT,
    write(row, out) {
      random.at(row);
      out.bytes(quote);
      out.bytes(firstBytes[random.below(firstBytes.length)] as Uint8Array);
      out.byte(SPACE);
      out.bytes(lastBytes[random.below(lastBytes.length)] as Uint8Array);
      out.bytes(quote);
    },
  };
}

/**
 * first.last42@domain from pooled ASCII name parts, separators and domains (plain in every
 * format). When unique, the number is a permutation of the row index: names contain no
 * digits, so the trailing number alone makes two addresses differ.
 */
function email(context: FieldContext): ValueColumn {
  const names = rawPool(pool(context, 'emailNames'));
  const domains = rawPool(pool(context, 'domains').map((d) => `@${d}`));
  const free = rawPool(pool(context, 'freeEmailDomains').map((d) => `@${d}`));
  const separators = [POINT, 95, 0, POINT];
  const random = new RowRandom(context.seed);
  const number = context.unique ? uniqueIndexer(context.rows, deriveSeed(context.seed, 'unique')) : undefined;
  const quote = utf8(context.encoder.quote);
  return {
    sqlType: TEXT,
    write(row, out) {
      random.at(row);
      out.bytes(quote);
      out.bytes(names[random.below(names.length)] as Uint8Array);
      const separator = separators[random.below(4)] as number;
      if (separator !== 0) out.byte(separator);
      out.bytes(names[random.below(names.length)] as Uint8Array);
      if (number) out.uint(number(row));
      else if (random.below(2) === 0) out.uint(random.below(100));
      const domain = random.below(10) < 6 ? free[random.below(free.length)] : domains[random.below(domains.length)];
      out.bytes(domain as Uint8Array);
      out.bytes(quote);
    },
  };
}

function countDigits(text: string): number {
  return [...text].filter((c) => c >= '0' && c <= '9').length;
}

/** A phone layout: literal parts around `slots` digit slots (its last digits), as bytes. */
function digitTemplate(sample: string, slots: number): Uint8Array[] {
  const parts: string[] = [];
  let current = '';
  let remaining = countDigits(sample);
  for (const c of sample) {
    const isDigit = c >= '0' && c <= '9';
    if (isDigit && remaining <= slots) {
      parts.push(current);
      current = '';
    } else current += c;
    if (isDigit) remaining -= 1;
  }
  parts.push(current);
  return parts.map(utf8);
}

function writeTemplate(out: ByteChunk, parts: readonly Uint8Array[], digit: (slot: number) => number): void {
  out.bytes(parts[0] as Uint8Array);
  for (let slot = 1; slot < parts.length; slot += 1) {
    out.byte(48 + digit(slot - 1));
    out.bytes(parts[slot] as Uint8Array);
  }
}

function phone(context: FieldContext): ValueColumn {
  const { encoder } = context;
  const samples = pool(context, 'phones').filter((s) => encoder.isPlain(s) && countDigits(s) >= 7);
  if (samples.length === 0) throw new Error('the locale has no usable phone number layouts');
  const random = new RowRandom(context.seed);
  const quote = utf8(encoder.quote);
  if (context.unique) {
    // One layout for all rows (two layouts could spell the same number); its last 7 digits
    // carry a permutation of the row index: 10^7 covers the 10,000,000-row maximum.
    const slots = 7;
    const sample = samples.find((s) => countDigits(s) > slots);
    if (sample === undefined || 10 ** slots < context.rows) {
      throw new Error('the locale has no phone number layout long enough for unique values');
    }
    const parts = digitTemplate(sample, slots);
    const number = uniqueIndexer(10 ** slots, deriveSeed(context.seed, 'unique'));
    return {
      sqlType: TEXT,
      write(row, out) {
        let n = number(row);
        let divisor = 10 ** (slots - 1);
        out.bytes(quote);
        writeTemplate(out, parts, () => {
          const d = Math.floor(n / divisor);
          n -= d * divisor;
          divisor /= 10;
          return d;
        });
        out.bytes(quote);
      },
    };
  }
  // The last 6 digits vary; the rest (country, area and exchange prefix) keeps the locale's shape.
  const templates = samples.map((s) => digitTemplate(s, 6));
  const digit = (): number => random.below(10);
  return {
    sqlType: TEXT,
    write(row, out) {
      random.at(row);
      out.bytes(quote);
      writeTemplate(out, templates[random.below(templates.length)] as Uint8Array[], digit);
      out.bytes(quote);
    },
  };
}

/** A pooled street address with a fresh house number of the same number of digits. */
function address(context: FieldContext): ValueColumn {
  const samples = pool(context, 'streetAddresses').map((sample) => {
    const match = /\d+/.exec(sample);
    if (!match) return { before: sample, width: 0, after: '' };
    return { before: sample.slice(0, match.index), width: match[0].length, after: sample.slice(match.index + match[0].length) };
  });
  const random = new RowRandom(context.seed);
  const value = (row: number): string => {
    random.at(row);
    const sample = samples[random.below(samples.length)] as (typeof samples)[number];
    if (sample.width === 0) return sample.before;
    const low = 10 ** (sample.width - 1);
    return `${sample.before}${low + random.below(9 * low)}${sample.after}`;
  };
  const pieces = samples.flatMap((s) => [s.before, s.after]);
  if (context.unique || !allPlain(context.encoder, pieces)) {
    return context.unique ? withRowSuffix(context, value) : perRowText(context, value);
  }
  const encoded = samples.map((s) => ({ before: utf8(s.before), width: s.width, after: utf8(s.after) }));
  const quote = utf8(context.encoder.quote);
  return {
    sqlType: TEXT,
    write(row, out) {
      random.at(row);
      const sample = encoded[random.below(encoded.length)] as (typeof encoded)[number];
      out.bytes(quote);
      out.bytes(sample.before);
      if (sample.width > 0) {
        const low = 10 ** (sample.width - 1);
        out.uint(low + random.below(9 * low));
        out.bytes(sample.after);
      }
      out.bytes(quote);
    },
  };
}

function url(context: FieldContext): ValueColumn {
  const domains = rawPool(pool(context, 'domains').map((d) => `https://www.${d}/`));
  const words = rawPool(pool(context, 'urlWords'));
  const random = new RowRandom(context.seed);
  const quote = utf8(context.encoder.quote);
  return {
    sqlType: TEXT,
    write(row, out) {
      random.at(row);
      out.bytes(quote);
      out.bytes(domains[random.below(domains.length)] as Uint8Array);
      out.bytes(words[random.below(words.length)] as Uint8Array);
      if (random.below(2) === 0) {
        out.byte(HYPHEN);
        out.bytes(words[random.below(words.length)] as Uint8Array);
      }
      if (context.unique) {
        out.byte(SLASH);
        out.uint(row + 1);
      }
      out.bytes(quote);
    },
  };
}

interface Sentences {
  /** Appends one sentence of `minWords`–`maxWords` words. */
  write(random: RowRandom, minWords: number, maxWords: number, out: ByteChunk): void;
  text(random: RowRandom, minWords: number, maxWords: number): string;
  plain: boolean;
}

function sentences(context: FieldContext): Sentences {
  const words = pool(context, 'words');
  const capitalised = words.map((w) => w.charAt(0).toLocaleUpperCase() + w.slice(1));
  const wordBytes = rawPool(words);
  const capitalisedBytes = rawPool(capitalised);
  const n = words.length;
  return {
    plain: allPlain(context.encoder, words, capitalised),
    write(random, minWords, maxWords, out) {
      const count = minWords + random.below(maxWords - minWords + 1);
      out.bytes(capitalisedBytes[random.below(n)] as Uint8Array);
      for (let i = 1; i < count; i += 1) {
        out.byte(SPACE);
        out.bytes(wordBytes[random.below(n)] as Uint8Array);
      }
      out.byte(POINT);
    },
    text(random, minWords, maxWords) {
      const count = minWords + random.below(maxWords - minWords + 1);
      let text = capitalised[random.below(n)] as string;
      for (let i = 1; i < count; i += 1) text += ` ${words[random.below(n)] as string}`;
      return `${text}.`;
    },
  };
}

/** Sentence and paragraph columns: `count` sentences per row of the given word range. */
function prose(context: FieldContext, count: (random: RowRandom) => number, minWords: number, maxWords: number): ValueColumn {
  const made = sentences(context);
  const random = new RowRandom(context.seed);
  if (context.unique || !made.plain) {
    const value = (row: number): string => {
      random.at(row);
      const n = count(random);
      let text = made.text(random, minWords, maxWords);
      for (let i = 1; i < n; i += 1) text += ` ${made.text(random, minWords, maxWords)}`;
      return text;
    };
    return context.unique ? withRowSuffix(context, value) : perRowText(context, value);
  }
  const quote = utf8(context.encoder.quote);
  return {
    sqlType: TEXT,
    write(row, out) {
      random.at(row);
      const n = count(random);
      out.bytes(quote);
      made.write(random, minWords, maxWords, out);
      for (let i = 1; i < n; i += 1) {
        out.byte(SPACE);
        made.write(random, minWords, maxWords, out);
      }
      out.bytes(quote);
    },
  };
}

/**
 * Random characters. When unique, the first k characters spell a permutation of the row
 * index in base |charset| (k the fewest that can number every row), the rest stay random.
 */
function randomString(field: FieldOf<'string'>, context: FieldContext): ValueColumn {
  const chars = utf8(CHARSETS[field.charset]);
  const base = chars.length;
  const random = new RowRandom(context.seed);
  let prefix = 0;
  let number: ((row: number) => number) | undefined;
  if (context.unique) {
    while (base ** prefix < context.rows) prefix += 1;
    number = uniqueIndexer(base ** prefix, deriveSeed(context.seed, 'unique'));
  }
  const minLength = Math.max(field.min_length, prefix);
  const quote = utf8(context.encoder.quote);
  const empty = utf8(context.encoder.text(''));
  return {
    sqlType: `VARCHAR(${Math.max(1, field.max_length)})`,
    write(row, out) {
      random.at(row);
      const length = minLength + random.below(field.max_length - minLength + 1);
      if (length === 0) {
        out.bytes(empty);
        return;
      }
      out.bytes(quote);
      if (number) {
        let n = number(row);
        for (let i = 0; i < prefix; i += 1) {
          const q = Math.floor(n / base);
          out.byte(chars[n - q * base] as number);
          n = q;
        }
      }
      for (let i = prefix; i < length; i += 1) out.byte(chars[random.below(base)] as number);
      out.bytes(quote);
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

export function textColumn(field: TextField, context: FieldContext): ValueColumn {
  switch (field.type) {
    case 'string':
      return randomString(field, context);
    case 'sentence':
      return prose(context, () => 1, field.min_words, field.max_words);
    case 'text': {
      const { min_sentences: min, max_sentences: max } = field;
      return prose(context, (random) => min + random.below(max - min + 1), 4, 12);
    }
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
