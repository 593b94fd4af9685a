import { z } from 'zod';
import {
  DEFAULT_ROWS,
  MAX_FIELDS_PER_TABLE,
  MAX_ROWS_PER_TABLE,
  MAX_TABLES,
  MAX_TOTAL_ROWS,
} from '../limits.ts';
import { LOCALES } from '../locale.ts';
import { checkInput } from './checks.ts';
import { checkEnhancement, enhanceOptions } from './enhance.ts';
import { fieldSchema, identifier } from './fields.ts';
import type { FieldSpec } from './fields.ts';

export const FORMATS = ['csv', 'json', 'ndjson', 'sql'] as const;
export type FormatName = (typeof FORMATS)[number];

const tableName = identifier
  .refine(
    (name) => name.toLowerCase() !== 'metadata',
    'is reserved (metadata.json describes the job)',
  )
  .describe('Table name, also the file name (<name>.<format>): letters, digits and _.');

const rows = z
  .number()
  .int()
  .min(1)
  .max(MAX_ROWS_PER_TABLE)
  .describe(`Rows to generate (at most ${MAX_ROWS_PER_TABLE.toLocaleString('en-US')} per table).`);

const fields = z
  .array(fieldSchema)
  .min(1)
  .max(MAX_FIELDS_PER_TABLE)
  .describe('The columns, in order.');

const tableSchema = z
  .object({ name: tableName, rows: rows.default(DEFAULT_ROWS), fields })
  .strict()
  .describe('One table: one output file.');

const rawInputSchema = z
  .object({
    tables: z
      .array(tableSchema)
      .min(1)
      .max(MAX_TABLES)
      .optional()
      .describe(
        'Several tables; a foreign_key field may reference an earlier table. Use this or the single-table ' +
          'shorthand (fields, rows, table), not both.',
      ),
    table: tableName
      .optional()
      .describe('Single-table shorthand: the table name (default "data").'),
    fields: fields.optional().describe('Single-table shorthand: the columns.'),
    rows: rows
      .optional()
      .describe(`Single-table shorthand: rows to generate (default ${DEFAULT_ROWS}).`),
    mode: z
      .enum(['rows', 'cases'])
      .default('rows')
      .describe(
        'rows: generate data. cases: per field, write test cases (valid, boundary and invalid values, ' +
          'each with the reason) to <table>_cases.<format>.',
      ),
    format: z
      .enum(FORMATS)
      .default('csv')
      .describe(
        'csv (RFC 4180, header row, CRLF; null is an empty field, the empty string is ""), json (one array ' +
          'per file), ndjson (one object per line) or sql (CREATE TABLE and batched INSERTs for PostgreSQL and SQLite).',
      ),
    seed: z
      .number()
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .optional()
      .describe(
        'Same input and seed give byte-identical files. Chosen at random (and reported in metadata.json) when absent.',
      ),
    locale: z
      .enum(LOCALES)
      .default('en')
      .describe('Faker locale for names, addresses, companies...'),
    sql: z
      .object({
        batch_size: z
          .number()
          .int()
          .min(1)
          .max(10_000)
          .default(1000)
          .describe('Rows per INSERT statement.'),
        create_table: z
          .boolean()
          .default(true)
          .describe('Start each file with CREATE TABLE IF NOT EXISTS.'),
      })
      .strict()
      .prefault({})
      .describe('Options for format "sql".'),
    ...enhanceOptions,
  })
  .strict();

export type RawTestDataInput = z.output<typeof rawInputSchema>;

export interface TableSpec {
  name: string;
  rows: number;
  fields: FieldSpec[];
}

/** The one shape the generator works with, whichever shape the client sent. */
export interface TestDataInput {
  tables: TableSpec[];
  mode: 'rows' | 'cases';
  format: FormatName;
  seed?: number;
  locale: RawTestDataInput['locale'];
  sql: RawTestDataInput['sql'];
  /** Hybrid mode: ask the LLM for domain-specific value pools (see enhance/). Absent when off. */
  enhance?: true;
  enhance_fields?: string[];
  domain?: string;
  /** Pools given by the client, by field reference. */
  value_pools?: Record<string, string[]>;
}

/**
 * Where each normalised table is in the input as sent: `[]` for the single-table shorthand
 * (its `rows` and `fields` are top-level), `['tables', i]` otherwise. Lets a cost error name
 * `input.fields.3.pattern` or `input.tables.1.rows`, whichever the client wrote.
 */
const tablePaths = new WeakMap<TableSpec, (string | number)[]>();

export function inputPathOf(table: TableSpec, index: number): (string | number)[] {
  return tablePaths.get(table) ?? ['tables', index];
}

function normalise(raw: RawTestDataInput): TestDataInput {
  const tables = raw.tables ?? [
    { name: raw.table ?? 'data', rows: raw.rows ?? DEFAULT_ROWS, fields: raw.fields ?? [] },
  ];
  tables.forEach((table, index) => tablePaths.set(table, raw.tables ? ['tables', index] : []));
  return {
    tables,
    mode: raw.mode,
    format: raw.format,
    ...(raw.seed === undefined ? {} : { seed: raw.seed }),
    locale: raw.locale,
    sql: raw.sql,
    ...(raw.enhance ? { enhance: true as const } : {}),
    ...(raw.enhance_fields === undefined ? {} : { enhance_fields: raw.enhance_fields }),
    ...(raw.domain === undefined ? {} : { domain: raw.domain }),
    ...(raw.value_pools === undefined ? {} : { value_pools: raw.value_pools }),
  };
}

export const testDataInputSchema = rawInputSchema
  .superRefine((raw, ctx) => {
    checkInput(raw, ctx, MAX_TOTAL_ROWS);
    checkEnhancement(raw, ctx);
  })
  .transform(normalise);
