import { uniqueIndexer } from '../permutation.ts';
import { deriveSeed, RowRandom } from '../prng.ts';
import { CHARSETS } from '../schema/fields.ts';
import type { FieldOf } from '../schema/fields.ts';
import { utf8 } from '../writers/bytes.ts';
import type { FieldContext, ValueColumn } from './context.ts';
import { floor, max } from '../math.ts';

/**
 * Random characters. When unique, the first k characters spell a permutation of the row
 * index in base |charset| (k the fewest that can number every row), the rest stay random.
 */
export function randomString(field: FieldOf<'string'>, context: FieldContext): ValueColumn {
  const chars = utf8(CHARSETS[field.charset]);
  const base = chars.length;
  const random = new RowRandom(context.seed);
  let prefix = 0;
  let number: ((row: number) => number) | undefined;
  if (context.unique) {
    while (base ** prefix < context.rows) prefix += 1;
    number = uniqueIndexer(base ** prefix, deriveSeed(context.seed, 'unique'));
  }
  const minLength = max(field.min_length, prefix);
  const quote = utf8(context.encoder.quote);
  const empty = utf8(context.encoder.text(''));
  return {
    sqlType: `VARCHAR(${max(1, field.max_length)})`,
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
          const q = floor(n / base);
          out.byte(chars[n - q * base] as number);
          n = q;
        }
      }
      for (let i = prefix; i < length; i += 1) out.byte(chars[random.below(base)] as number);
      out.bytes(quote);
    },
  };
}
