import { utf8 } from './bytes.ts';
import type { ByteChunk } from './bytes.ts';
import type { Encoder, OutputFormat, RowWriter, TableShape } from './types.ts';

/** Characters JSON.stringify would escape (lone surrogates included). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
const CLOSE_BRACE = 125;

export const jsonEncoder: Encoder = {
  text: (value) => JSON.stringify(value),
  isPlain: (value) => !NEEDS_ESCAPE.test(value),
  quote: '"',
  boolean: (value) => (value ? 'true' : 'false'),
  null: 'null',
};

/** Writes rows as compact JSON objects; the keys are encoded once per table, not per row. */
export function jsonObjectWriter(table: TableShape): (row: number, out: ByteChunk) => void {
  const writers: RowWriter[] = table.columns.map((c) => c.write);
  const keys = table.columns.map((c, i) =>
    utf8(`${i === 0 ? '{' : ','}${jsonEncoder.text(c.name)}:`),
  );
  const count = writers.length;
  return (row, out) => {
    for (let c = 0; c < count; c += 1) {
      out.bytes(keys[c] as Uint8Array);
      (writers[c] as RowWriter)(row, out);
    }
    out.byte(CLOSE_BRACE);
  };
}

const SEPARATOR = utf8(',\n');

/** One JSON array per file, one object per line, streamed: the array is never held in memory. */
export const jsonFormat: OutputFormat = {
  extension: 'json',
  encoder: jsonEncoder,
  open(table) {
    const write = jsonObjectWriter(table);
    return {
      header: () => '[\n',
      rows(from, to, out) {
        for (let row = from; row < to; row += 1) {
          if (row > 0) out.bytes(SEPARATOR);
          write(row, out);
        }
      },
      footer: () => (table.rows > 0 ? '\n]\n' : ']\n'),
    };
  },
};
