import type { Encoder, OutputFormat, RowWriter, TableShape, TableSink } from './types.ts';

const NEEDS_QUOTES = /[",\r\n]/;
const COMMA = 44;
const CR = 13;
const LF = 10;

/**
 * RFC 4180: CRLF line ends; a field with a comma, quote or line break is quoted, quotes
 * doubled. Null is an empty field and the empty string is `""`, the distinction PostgreSQL's
 * COPY ... CSV and most loaders make.
 */
export const csvEncoder: Encoder = {
  text: (value) =>
    value === '' ? '""' : NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value,
  isPlain: (value) => !NEEDS_QUOTES.test(value),
  quote: '',
  boolean: (value) => (value ? 'true' : 'false'),
  null: '',
};

function open(table: TableShape): TableSink {
  const writers: RowWriter[] = table.columns.map((c) => c.write);
  const last = writers.length - 1;
  return {
    header: () => `${table.columns.map((c) => csvEncoder.text(c.name)).join(',')}\r\n`,
    rows(from, to, out) {
      for (let row = from; row < to; row += 1) {
        for (let c = 0; c < last; c += 1) {
          (writers[c] as RowWriter)(row, out);
          out.byte(COMMA);
        }
        (writers[last] as RowWriter)(row, out);
        out.byte(CR);
        out.byte(LF);
      }
    },
    footer: () => '',
  };
}

export const csvFormat: OutputFormat = { extension: 'csv', encoder: csvEncoder, open };
