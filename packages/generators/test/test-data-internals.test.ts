import { describe, expect, it } from '@jest/globals';
import { formatDay, formatSecond, isCalendarDate, parseDay } from '../src/test-data/dates.ts';
import { Permutation, uniqueIndexer } from '../src/test-data/permutation.ts';
import { RowRandom, deriveSeed, hashRow } from '../src/test-data/prng.ts';
import { compilePattern, PatternSyntaxError } from '../src/test-data/regex.ts';
import { ByteChunk } from '../src/test-data/writers/bytes.ts';

describe('permutation', () => {
  it.each([1, 2, 3, 7, 1000, 65_537, 100_003])('is a bijection of [0, %i)', (size) => {
    const permutation = new Permutation(size, 12345);
    const seen = new Uint8Array(size);
    let ok = true;
    for (let i = 0; i < size; i += 1) {
      const v = permutation.at(i);
      ok &&= v >= 0 && v < size && seen[v] === 0;
      seen[v] = 1;
    }
    expect(ok).toBe(true);
  });

  it('depends on the seed', () => {
    const a = Array.from({ length: 20 }, (_, i) => new Permutation(1000, 1).at(i));
    const b = Array.from({ length: 20 }, (_, i) => new Permutation(1000, 2).at(i));
    expect(a).not.toEqual(b);
  });

  it('stays distinct over spans beyond 32 bits', () => {
    const pick = uniqueIndexer(2 ** 40, 9);
    const values = new Set(Array.from({ length: 50_000 }, (_, i) => pick(i)));
    expect(values.size).toBe(50_000);
    expect([...values].every((v) => v < 2 ** 40 && Number.isInteger(v))).toBe(true);
  });
});

describe('row randomness', () => {
  it('is a pure function of seed and row', () => {
    const a = new RowRandom(5);
    const b = new RowRandom(5);
    const draws = (r: RowRandom, row: number) => [r.at(row).next(), r.next(), r.next()];
    expect(draws(a, 17)).toEqual(draws(b, 17));
    expect(draws(a, 17)).not.toEqual(draws(a, 18));
  });

  it('gives distinct first draws for distinct rows (what uuid uniqueness rests on)', () => {
    const seen = new Set<number>();
    for (let row = 0; row < 200_000; row += 1) seen.add(hashRow(77, row));
    expect(seen.size).toBe(200_000);
  });

  it('draws roughly uniformly', () => {
    const random = new RowRandom(deriveSeed(3, 'x'));
    const counts = new Array<number>(10).fill(0);
    for (let row = 0; row < 100_000; row += 1) counts[random.at(row).below(10)]! += 1;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it('derives different seeds from different labels', () => {
    expect(deriveSeed(1, 'a', 'b')).not.toBe(deriveSeed(1, 'ab'));
    expect(deriveSeed(1, 'a')).not.toBe(deriveSeed(2, 'a'));
    expect(deriveSeed(2 ** 40, 'a')).not.toBe(deriveSeed(0, 'a'));
  });
});

describe('regular expression subset', () => {
  const draw = (seed: number) => {
    const random = new RowRandom(seed);
    return (row: number) => random.at(row);
  };

  it.each([
    '[A-Z]{3}-\\d{4}',
    '^\\+?[1-9]\\d{1,14}$',
    '(foo|bar|baz)_[a-f0-9]{8}',
    '[^a-z\\s]{5,10}',
    '\\w+@\\w+\\.(com|org)',
    'a.b?c*d+e{2,}',
    '(?:ab|cd){2}(?<year>19|20)\\d\\d',
    '[\\x41-\\x43\\u0061]{4}',
    '\\[literal\\]\\.\\*',
    'x{3',
  ])('generates strings matching /%s/', (source) => {
    const pattern = compilePattern(source);
    // JavaScript's own engine as the oracle (trusted test patterns), and the linear matcher.
    const matcher = new RegExp(`^(?:${source})$`);
    const at = draw(1);
    for (let row = 0; row < 300; row += 1) {
      const value = pattern.generate(at(row));
      expect(value).toMatch(matcher);
      expect(pattern.matches(value)).toBe(true);
    }
    expect(pattern.shortest).toMatch(matcher);
    expect(pattern.longest).toMatch(matcher);
    expect(pattern.matches(pattern.shortest)).toBe(true);
    expect(pattern.matches(pattern.longest)).toBe(true);
  });

  it.each(['(a)\\1', '(?=a)', '(?<!a)b', '\\bword', 'a{2}{3}', '*a', '[]', '\\p{L}', 'a$b'])(
    'rejects /%s/ with a message',
    (source) => {
      expect(() => compilePattern(source)).toThrow(PatternSyntaxError);
    },
  );
});

describe('dates', () => {
  it('formats days and seconds like Date#toISOString', () => {
    for (const iso of [
      '1970-01-01',
      '1999-12-31',
      '2000-02-29',
      '2024-03-01',
      '0001-01-01',
      '9999-12-31',
    ]) {
      expect(formatDay(parseDay(iso))).toBe(iso);
    }
    for (const ms of [0, 951_782_400_000, 1_700_000_000_000, -86_400_000]) {
      expect(formatSecond(ms / 1000)).toBe(new Date(ms).toISOString().replace('.000Z', 'Z'));
    }
  });

  it('knows real calendar days', () => {
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2023-02-29')).toBe(false);
    expect(isCalendarDate('2023-13-01')).toBe(false);
    expect(isCalendarDate('2023-1-01')).toBe(false);
  });
});

describe('byte chunk', () => {
  it('writes numbers, text and bytes', () => {
    const out = new ByteChunk(4);
    for (const n of [0, 7, 10, 99, 123_456_789, Number.MAX_SAFE_INTEGER, -42]) {
      out.int(n);
      out.byte(44);
    }
    out.padded(7, 3);
    out.utf8(' ünï ');
    out.ascii('ok');
    out.bytes(Buffer.from('!'.repeat(100)));
    expect(out.takeText()).toBe(
      `0,7,10,99,123456789,${Number.MAX_SAFE_INTEGER},-42,007 ünï ok${'!'.repeat(100)}`,
    );
    expect(out.length).toBe(0);
  });
});
