import { utf8 } from './bytes.ts';
import type { Column, Encoder, OutputFormat, RowWriter, TableShape } from './types.ts';

/**
 * SQL that PostgreSQL and SQLite both load: double-quoted identifiers, single-quoted strings
 * with quotes doubled (no backslash escapes), TRUE/FALSE, NULL. Multi-row INSERTs in batches,
 * inside one transaction, which loads far faster than a statement per row.
 */
export const sqlEncoder: Encoder = {
  text: (value) => `'${value.includes("'") ? value.replaceAll("'", "''") : value}'`,
  isPlain: (value) => !value.includes("'"),
  quote: "'",
  boolean: (value) => (value ? 'TRUE' : 'FALSE'),
  null: 'NULL',
};

const CLOSE_PAREN = 41;

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export interface SqlOptions {
  batch_size: number;
  create_table: boolean;
}

function columnDefinition(column: Column): string {
  const { type, notNull, unique, references } = column.sql;
  let text = `  ${quoteIdentifier(column.name)} ${type}`;
  if (notNull) text += ' NOT NULL';
  if (unique) text += ' UNIQUE';
  if (references)
    text += ` REFERENCES ${quoteIdentifier(references.table)} (${quoteIdentifier(references.column)})`;
  return text;
}

export function createTableStatement(table: TableShape): string {
  return `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(table.name)} (\n${table.columns.map(columnDefinition).join(',\n')}\n);\n`;
}

export function sqlFormat(options: SqlOptions): OutputFormat {
  return {
    extension: 'sql',
    encoder: sqlEncoder,
    open(table) {
      const writers: RowWriter[] = table.columns.map((c) => c.write);
      const count = writers.length;
      const insert = utf8(
        `INSERT INTO ${quoteIdentifier(table.name)} (${table.columns.map((c) => quoteIdentifier(c.name)).join(', ')}) VALUES\n(`,
      );
      const nextRow = utf8(',\n(');
      const comma = utf8(', ');
      const endStatement = utf8(');\n');
      const batch = options.batch_size;
      return {
        header: () => `BEGIN;\n${options.create_table ? createTableStatement(table) : ''}`,
        rows(from, to, out) {
          for (let row = from; row < to; row += 1) {
            out.bytes(row % batch === 0 ? insert : nextRow);
            for (let c = 0; c < count; c += 1) {
              if (c > 0) out.bytes(comma);
              (writers[c] as RowWriter)(row, out);
            }
            if (row % batch === batch - 1 || row === table.rows - 1) out.bytes(endStatement);
            else out.byte(CLOSE_PAREN);
          }
        },
        footer: () => 'COMMIT;\n',
      };
    },
  };
}
