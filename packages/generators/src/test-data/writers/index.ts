import type { FormatName } from '../schema/input.ts';
import { csvFormat } from './csv.ts';
import { jsonFormat } from './json.ts';
import { ndjsonFormat } from './ndjson.ts';
import { sqlFormat } from './sql.ts';
import type { SqlOptions } from './sql.ts';
import type { OutputFormat } from './types.ts';

export function outputFormat(name: FormatName, sql: SqlOptions): OutputFormat {
  switch (name) {
    case 'csv':
      return csvFormat;
    case 'json':
      return jsonFormat;
    case 'ndjson':
      return ndjsonFormat;
    case 'sql':
      return sqlFormat(sql);
  }
}
