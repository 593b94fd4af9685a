import { deriveSeed, hashRow } from '../prng.ts';
import type { FieldSpec } from '../schema/fields.ts';
import { utf8 } from '../writers/bytes.ts';
import type { Column } from '../writers/types.ts';
import { enumColumn, foreignKeyColumn, patternColumn } from './choice.ts';
import type { FieldContext, ValueColumn } from './context.ts';
import { booleanColumn, integerColumn, numberColumn, uuidColumn } from './numeric.ts';
import { dateColumn, dateTimeColumn } from './temporal.ts';
import { textColumn } from './text.ts';

export type { FieldContext, ValueColumn } from './context.ts';
export { POOLS_BY_TYPE } from './text.ts';

export function valueColumn(field: FieldSpec, context: FieldContext): ValueColumn {
  switch (field.type) {
    case 'uuid':
      return uuidColumn(context);
    case 'integer':
      return integerColumn(field, context);
    case 'number':
      return numberColumn(field, context);
    case 'boolean':
      return booleanColumn(field, context);
    case 'date':
      return dateColumn(field, context);
    case 'datetime':
      return dateTimeColumn(field, context);
    case 'enum':
      return enumColumn(field, context);
    case 'pattern':
      return patternColumn(field, context);
    case 'foreign_key':
      return foreignKeyColumn(field, context);
    default:
      return textColumn(field, context);
  }
}

/** The seed of one field: from names, so adding or reordering fields leaves other columns as they were. */
export function fieldSeed(jobSeed: number, table: string, field: string): number {
  return deriveSeed(jobSeed, 'table', table, 'field', field);
}

/** A column as written: the value column with the field's share of nulls on top. */
export function outputColumn(field: FieldSpec, value: ValueColumn, context: FieldContext): Column {
  // uuids are unique by construction; saying so lets other tables reference them.
  const unique = field.unique || field.type === 'uuid';
  const sql: Column['sql'] = { type: value.sqlType, notNull: field.nullable === 0, unique };
  if (field.type === 'foreign_key') sql.references = { table: field.table, column: field.field };
  if (field.nullable === 0) return { name: field.name, write: value.write, sql };
  const nullSeed = deriveSeed(context.seed, 'null');
  const cut = field.nullable * 4_294_967_296;
  const nullBytes = utf8(context.encoder.null);
  const write = value.write;
  return {
    name: field.name,
    write(row, out) {
      if (hashRow(nullSeed, row) < cut) out.bytes(nullBytes);
      else write(row, out);
    },
    sql,
  };
}
