import { jsonEncoder, jsonObjectWriter } from './json.ts';
import type { OutputFormat } from './types.ts';

const LF = 10;

/** Newline-delimited JSON: one object per line, each line parses on its own. */
export const ndjsonFormat: OutputFormat = {
  extension: 'ndjson',
  encoder: jsonEncoder,
  open(table) {
    const write = jsonObjectWriter(table);
    return {
      header: () => '',
      rows(from, to, out) {
        for (let row = from; row < to; row += 1) {
          write(row, out);
          out.byte(LF);
        }
      },
      footer: () => '',
    };
  },
};
