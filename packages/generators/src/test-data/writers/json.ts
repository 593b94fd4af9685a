import type { Encoder, OutputFormat, TableShape } from './types.ts';

/** Characters JSON.stringify would escape (lone surrogates included). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

export const jsonEncoder: Encoder = {
  text: (value) => JSON.stringify(value),
  isPlain: (value) => !NEEDS_ESCAPE.test(value),
  plain: (value) => `"${value}"`,
  number: (literal) => literal,
  boolean: (value) => (value ? 'true' : 'false'),
  null: 'null',
};

/** Renders rows as compact JSON objects; keys are encoded once per table, not per row. */
export function jsonObjectRenderer(table: TableShape): (row: number) => string {
  const tokens = table.columns.map((c) => c.token);
  const keys = table.columns.map((c, i) => `${i === 0 ? '{' : ','}${jsonEncoder.text(c.name)}:`);
  const count = tokens.length;
  return (row) => {
    let out = '';
    for (let c = 0; c < count; c += 1)
      out += (keys[c] as string) + (tokens[c] as (row: number) => string)(row);
    return `${out}}`;
  };
}

/** One JSON array per file, one object per line, streamed: the array is never held in memory. */
export const jsonFormat: OutputFormat = {
  extension: 'json',
  encoder: jsonEncoder,
  open(table) {
    const render = jsonObjectRenderer(table);
    return {
      header: () => '[\n',
      rows(from, to) {
        let out = '';
        for (let row = from; row < to; row += 1) out += (row === 0 ? '' : ',\n') + render(row);
        return out;
      },
      footer: () => (table.rows > 0 ? '\n]\n' : ']\n'),
    };
  },
};
