import type { Encoder, OutputFormat, TableShape, TableSink } from './types.ts';

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * RFC 4180: CRLF line ends; a field with a comma, quote or line break is quoted, quotes
 * doubled. Null is an empty field and the empty string is `""`, the distinction PostgreSQL's
 * COPY ... CSV and most loaders make.
 */
export const csvEncoder: Encoder = {
  text: (value) =>
    value === '' ? '""' : NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value,
  isPlain: (value) => !NEEDS_QUOTES.test(value),
  plain: (value) => (value === '' ? '""' : value),
  number: (literal) => literal,
  boolean: (value) => (value ? 'true' : 'false'),
  null: '',
};

function open(table: TableShape): TableSink {
  const tokens = table.columns.map((c) => c.token);
  const count = tokens.length;
  const first = tokens[0] as (row: number) => string;
  return {
    header: () => `${table.columns.map((c) => csvEncoder.text(c.name)).join(',')}\r\n`,
    rows(from, to) {
      let out = '';
      for (let row = from; row < to; row += 1) {
        let line = first(row);
        for (let c = 1; c < count; c += 1)
          line += `,${(tokens[c] as (row: number) => string)(row)}`;
        out += `${line}\r\n`;
      }
      return out;
    },
    footer: () => '',
  };
}

export const csvFormat: OutputFormat = { extension: 'csv', encoder: csvEncoder, open };
