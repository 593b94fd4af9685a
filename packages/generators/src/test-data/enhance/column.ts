import { encodePool, type FieldContext, type ValueColumn } from '../fields/context.ts';
import { perRowText, TEXT, withRowSuffix } from '../fields/text-common.ts';
import { RowRandom } from '../prng.ts';
import type { EnhanceableField } from './targets.ts';

/**
 * A column that samples a given pool (from the model or from `value_pools`) instead of its
 * type's own values: like the built-in pooled types, one seeded draw per row, values
 * encoded for the format once. Unique fields get " #<row>" appended, as built-in text does.
 */
export function poolColumn(
  field: EnhanceableField,
  values: readonly string[],
  context: FieldContext,
): ValueColumn {
  if (values.length === 0) throw new Error(`the value pool of ${field.name} is empty`);
  const random = new RowRandom(context.seed);
  const sqlType = field.type === 'string' ? `VARCHAR(${Math.max(1, field.max_length)})` : TEXT;
  const pick = (): string => values[random.below(values.length)] as string;

  if (field.type === 'text') {
    // A paragraph: min_sentences–max_sentences pooled sentences.
    const { min_sentences: min, max_sentences: max } = field;
    const paragraph = (row: number): string => {
      random.at(row);
      const n = min + random.below(max - min + 1);
      let text = pick();
      for (let i = 1; i < n; i += 1) text += ` ${pick()}`;
      return text;
    };
    return context.unique
      ? withRowSuffix(context, paragraph)
      : { ...perRowText(context, paragraph), sqlType };
  }
  if (context.unique) {
    return withRowSuffix(context, (row) => {
      random.at(row);
      return pick();
    });
  }
  const tokens = encodePool(context.encoder, values);
  return {
    sqlType,
    write: (row, out) => out.bytes(tokens[random.at(row).below(tokens.length)] as Uint8Array),
  };
}
