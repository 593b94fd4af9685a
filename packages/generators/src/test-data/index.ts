import { defineGenerator } from '../generator.ts';
import { ESTIMATED_ROWS_PER_SECOND } from './limits.ts';
import { runTestData } from './run.ts';
import { testDataInputSchema } from './schema/input.ts';
import type { TestDataInput } from './schema/input.ts';

export type { TestDataInput, TableSpec } from './schema/input.ts';
export type { FieldSpec } from './schema/fields.ts';
export { testDataInputSchema } from './schema/input.ts';

/**
 * Realistic, reproducible test data: typed fields over one or more tables (foreign keys
 * between them), streamed as CSV, JSON, NDJSON or SQL; or, in `cases` mode, valid, boundary
 * and invalid test values per field.
 */
export const testDataGenerator = defineGenerator<TestDataInput>({
  name: 'test-data',
  description:
    'Realistic, reproducible test data: typed fields (uuid, numbers, names, emails, addresses, dates, enums, ' +
    'regex patterns, foreign keys...) over one or more tables, up to 10,000,000 rows per table, as CSV, JSON, ' +
    'NDJSON or SQL; or, with mode "cases", valid, boundary and invalid values per field with the reason.',
  input: testDataInputSchema,
  estimateSeconds(input) {
    if (input.mode === 'cases') return 1;
    const rows = input.tables.reduce((sum, table) => sum + table.rows, 0);
    return 0.5 + rows / ESTIMATED_ROWS_PER_SECOND;
  },
  run: runTestData,
});
