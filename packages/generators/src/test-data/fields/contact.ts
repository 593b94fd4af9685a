import { uniqueIndexer } from '../permutation.ts';
import { deriveSeed, RowRandom } from '../prng.ts';
import { utf8 } from '../writers/bytes.ts';
import type { ByteChunk } from '../writers/bytes.ts';
import { allPlain, pool, rawPool } from './context.ts';
import type { FieldContext, ValueColumn } from './context.ts';
import { perRowText, TEXT, withRowSuffix } from './text-common.ts';
import { floor, min } from '../math.ts';

/** People and places: names, emails, phones, addresses, URLs. */

const SPACE = 32;
const HYPHEN = 45;
const POINT = 46;
const SLASH = 47;

export function fullName(context: FieldContext): ValueColumn {
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
export function email(context: FieldContext): ValueColumn {
  const names = rawPool(pool(context, 'emailNames'));
  const domains = rawPool(pool(context, 'domains').map((d) => `@${d}`));
  const free = rawPool(pool(context, 'freeEmailDomains').map((d) => `@${d}`));
  const separators = [POINT, 95, 0, POINT];
  const random = new RowRandom(context.seed);
  const number = context.unique
    ? uniqueIndexer(context.rows, deriveSeed(context.seed, 'unique'))
    : undefined;
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
      const domain =
        random.below(10) < 6
          ? free[random.below(free.length)]
          : domains[random.below(domains.length)];
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

function writeTemplate(
  out: ByteChunk,
  parts: readonly Uint8Array[],
  digit: (slot: number) => number,
): void {
  out.bytes(parts[0] as Uint8Array);
  for (let slot = 1; slot < parts.length; slot += 1) {
    out.byte(48 + digit(slot - 1));
    out.bytes(parts[slot] as Uint8Array);
  }
}

export function phone(context: FieldContext): ValueColumn {
  const { encoder } = context;
  const samples = pool(context, 'phones').filter((s) => encoder.isPlain(s) && countDigits(s) >= 2);
  if (samples.length === 0) throw new Error('the locale has no usable phone number layouts');
  const random = new RowRandom(context.seed);
  const quote = utf8(encoder.quote);
  if (context.unique) {
    // One layout for all rows (two layouts could spell the same number); its last 7 digits
    // carry a permutation of the row index: 10^7 covers the 10,000,000-row maximum.
    const slots = 7;
    const sample =
      samples.find((s) => countDigits(s) > slots) ?? samples.find((s) => countDigits(s) === slots);
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
          const d = floor(n / divisor);
          n -= d * divisor;
          divisor /= 10;
          return d;
        });
        out.bytes(quote);
      },
    };
  }
  // The last 6 digits vary; the rest (country, area and exchange prefix) keeps the locale's shape.
  const templates = samples.map((s) => digitTemplate(s, min(6, countDigits(s) - 1)));
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
export function address(context: FieldContext): ValueColumn {
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
  const pieces = samples.flatMap((s) => [s.before, s.after]);
  if (context.unique || !allPlain(context.encoder, pieces)) {
    return context.unique ? withRowSuffix(context, value) : perRowText(context, value);
  }
  const encoded = samples.map((s) => ({
    before: utf8(s.before),
    width: s.width,
    after: utf8(s.after),
  }));
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

export function url(context: FieldContext): ValueColumn {
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
