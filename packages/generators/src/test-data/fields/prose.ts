import { RowRandom } from '../prng.ts';
import { utf8 } from '../writers/bytes.ts';
import type { ByteChunk } from '../writers/bytes.ts';
import { allPlain, pool, rawPool } from './context.ts';
import type { FieldContext, ValueColumn } from './context.ts';
import { perRowText, TEXT, withRowSuffix } from './text-common.ts';

/** Sentences and short paragraphs of pooled words. */

const SPACE = 32;
const POINT = 46;

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
export function prose(
  context: FieldContext,
  count: (random: RowRandom) => number,
  minWords: number,
  maxWords: number,
): ValueColumn {
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
