import { decimalRange, distinctCapacity } from '../ranges.ts';
import type { FieldSpec } from './fields.ts';

/**
 * Rules that span fields and tables, reported on the path the client wrote (e.g.
 * `tables.1.fields.0.table`, or `fields.2.unique` for the single-table shorthand).
 */

type Path = (string | number)[];

interface IssueSink {
  addIssue(issue: { code: 'custom'; path: Path; message: string }): void;
}

interface RawTable {
  name: string;
  rows: number;
  fields: FieldSpec[];
}

interface RawInput {
  tables?: RawTable[] | undefined;
  table?: string | undefined;
  fields?: FieldSpec[] | undefined;
  rows?: number | undefined;
  mode: 'rows' | 'cases';
  format: string;
}

const count = (n: number): string => n.toLocaleString('en-US');

export function checkInput(raw: RawInput, ctx: IssueSink, maxTotalRows: number): void {
  const issue = (path: Path, message: string): void =>
    ctx.addIssue({ code: 'custom', path, message });

  if (raw.tables) {
    for (const key of ['fields', 'rows', 'table'] as const) {
      if (raw[key] !== undefined)
        issue([key], 'give either "tables" or the single-table fields/rows/table, not both');
    }
  } else if (!raw.fields) {
    issue(['fields'], 'required: the columns of the table (or "tables" for several tables)');
    return;
  }
  if (raw.mode === 'cases' && raw.format === 'sql') {
    issue(['format'], 'cases mode writes csv, json or ndjson');
  }

  const tables: { table: RawTable; path: Path }[] = raw.tables
    ? raw.tables.map((table, i) => ({ table, path: ['tables', i] }))
    : [
        {
          table: { name: raw.table ?? 'data', rows: raw.rows ?? 0, fields: raw.fields ?? [] },
          path: [],
        },
      ];

  const total = tables.reduce((sum, { table }) => sum + table.rows, 0);
  if (raw.mode === 'rows' && total > maxTotalRows) {
    issue(
      raw.tables ? ['tables'] : ['rows'],
      `at most ${count(maxTotalRows)} rows in all tables together, got ${count(total)}`,
    );
  }

  const seenTables = new Map<string, number>();
  for (const [tableIndex, { table, path }] of tables.entries()) {
    const key = table.name.toLowerCase();
    if (seenTables.has(key))
      issue(
        [...path, 'name'],
        `duplicate table name "${table.name}" (names are compared ignoring case)`,
      );
    const seenFields = new Set<string>();
    for (const [fieldIndex, field] of table.fields.entries()) {
      const fieldPath = [...path, 'fields', fieldIndex];
      const fieldKey = field.name.toLowerCase();
      if (seenFields.has(fieldKey))
        issue(
          [...fieldPath, 'name'],
          `duplicate field name "${field.name}" in table "${table.name}"`,
        );
      seenFields.add(fieldKey);
      checkNumberPrecision(field, fieldPath, issue);
      if (field.type === 'foreign_key') {
        checkForeignKey(field, table, tables, seenTables, tableIndex, fieldPath, issue);
      } else if (field.unique && raw.mode === 'rows') {
        checkUnique(field, table.rows, fieldPath, issue);
      }
    }
    seenTables.set(key, tableIndex);
  }
}

function checkNumberPrecision(
  field: FieldSpec,
  path: Path,
  issue: (path: Path, message: string) => void,
): void {
  if (field.type !== 'number' || !(field.min <= field.max)) return;
  const { lo, hi } = decimalRange(field);
  if (lo > hi) {
    issue(
      [...path, 'decimals'],
      `no number with ${field.decimals} decimals lies between min and max`,
    );
  } else if (Math.max(Math.abs(lo), Math.abs(hi)) > Number.MAX_SAFE_INTEGER) {
    issue(
      [...path, 'decimals'],
      'too many decimals for numbers this large (precision would be lost)',
    );
  }
}

function checkUnique(
  field: FieldSpec,
  rows: number,
  path: Path,
  issue: (path: Path, message: string) => void,
): void {
  const capacity = distinctCapacity(field);
  if (capacity === undefined) {
    issue([...path, 'unique'], `unique is not supported for ${field.type} fields`);
  } else if (field.type === 'enum' && field.weights) {
    issue(
      [...path, 'weights'],
      'weights cannot be combined with unique (every value is used at most once)',
    );
  } else if (capacity < rows) {
    issue(
      [...path, 'unique'],
      `unique needs ${count(rows)} distinct values but this ${field.type} field has only ${count(capacity)}; widen its range or lower rows`,
    );
  }
}

function checkForeignKey(
  field: Extract<FieldSpec, { type: 'foreign_key' }>,
  table: RawTable,
  tables: { table: RawTable }[],
  earlier: Map<string, number>,
  tableIndex: number,
  path: Path,
  issue: (path: Path, message: string) => void,
): void {
  if (field.table === table.name) {
    issue([...path, 'table'], 'a table cannot reference itself; reference an earlier table');
    return;
  }
  const refIndex = earlier.get(field.table.toLowerCase());
  if (
    refIndex === undefined ||
    (tables[refIndex] as { table: RawTable }).table.name !== field.table
  ) {
    const later = tables.slice(tableIndex).some(({ table: t }) => t.name === field.table);
    issue(
      [...path, 'table'],
      later
        ? `table "${field.table}" must come before table "${table.name}" to be referenced`
        : `no table named "${field.table}" in this job`,
    );
    return;
  }
  const refTable = (tables[refIndex] as { table: RawTable }).table;
  const target = refTable.fields.find((f) => f.name === field.field);
  if (!target) {
    issue([...path, 'field'], `table "${refTable.name}" has no field "${field.field}"`);
  } else if (!(target.type === 'uuid' || target.unique)) {
    issue(
      [...path, 'field'],
      `"${refTable.name}.${target.name}" must be a uuid or have unique: true to be referenced`,
    );
  } else if (target.nullable > 0) {
    issue(
      [...path, 'field'],
      `"${refTable.name}.${target.name}" is nullable and cannot be referenced`,
    );
  } else if (field.unique && table.rows > refTable.rows) {
    issue(
      [...path, 'unique'],
      `a unique foreign key needs as many rows in "${refTable.name}" (${count(refTable.rows)}) as in "${table.name}" (${count(table.rows)})`,
    );
  }
}
