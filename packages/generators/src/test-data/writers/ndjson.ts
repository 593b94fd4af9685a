import { jsonEncoder, jsonObjectRenderer } from './json.ts';
import type { OutputFormat } from './types.ts';

/** Newline-delimited JSON: one object per line, each line parses on its own. */
export const ndjsonFormat: OutputFormat = {
  extension: 'ndjson',
  encoder: jsonEncoder,
  open(table) {
    const render = jsonObjectRenderer(table);
    return {
      header: () => '',
      rows(from, to) {
        let out = '';
        for (let row = from; row < to; row += 1) out += `${render(row)}\n`;
        return out;
      },
      footer: () => '',
    };
  },
};
