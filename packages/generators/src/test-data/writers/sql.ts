import type { Column, Encoder, OutputFormat, TableShape } from './types.ts';

/**
 * SQL that PostgreSQL and SQLite both load: double-quoted identifiers, single-quoted strings
 * with quotes doubled (no backslash escapes), TRUE/FALSE, NULL. Multi-row INSERTs in batches,
 * inside one transaction, which loads far faster than a statement per row.
 */
export const sqlEncoder: Encoder = {
  text: (value) => `'${value.includes("'") ? value.replaceAll("'", "''") : value}'`,
  isPlain: (value) => !value.includes("'"),
  plain: (value) => `'${value}'`,
  number: (literal) => literal,
  boolean: (value) => (value ? 'TRUE' : 'FALSE'),
  null: 'NULL',
};

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
      const tokens = table.columns.map((c) => c.token);
      const count = tokens.length;
      const first = tokens[0] as (row: number) => string;
      const insert = `INSERT INTO ${quoteIdentifier(table.name)} (${table.columns.map((c) => quoteIdentifier(c.name)).join(', ')}) VALUES\n`;
      const batch = options.batch_size;
      return {
        header: () => `BEGIN;\n${options.create_table ? createTableStatement(table) : ''}`,
        rows(from, to) {
          let out = '';
          for (let row = from; row < to; row += 1) {
            let line = `(${first(row)}`;
            for (let c = 1; c < count; c += 1)
              line += `, ${(tokens[c] as (row: number) => string)(row)}`;
            const endsBatch = row % batch === batch - 1 || row === table.rows - 1;
            out += (row % batch === 0 ? insert : ',\n') + line + (endsBatch ? ');\n' : ')');
          }
          return out;
        },
        footer: () => 'COMMIT;\n',
      };
    },
  };
}
