import { defineGenerator } from '../generator.ts';
import type { Generator } from '../generator.ts';
import type { EnhanceSettings } from './enhance/index.ts';
import { ESTIMATED_ROWS_PER_SECOND } from './limits.ts';
import { runTestData } from './run.ts';
import { testDataInputSchema } from './schema/input.ts';
import { testDataWorstCase } from './worst-case.ts';
import type { TestDataInput } from './schema/input.ts';

export type { TestDataInput, TableSpec } from './schema/input.ts';
export type { FieldSpec } from './schema/fields.ts';
export { testDataInputSchema } from './schema/input.ts';
export type { EnhanceSettings, EnhancementReport } from './enhance/index.ts';

/** Extra seconds estimated for hybrid mode's LLM request. */
const ESTIMATED_ENHANCE_SECONDS = 15;

/**
 * Realistic, reproducible test data: typed fields over one or more tables (foreign keys
 * between them), streamed as CSV, JSON, NDJSON or SQL; or, in `cases` mode, valid, boundary
 * and invalid test values per field. `settings.llm` serves hybrid mode (`enhance: true`);
 * without it such jobs complete with the foundation values.
 */
export function createTestDataGenerator(settings: EnhanceSettings = {}): Generator<TestDataInput> {
  return defineGenerator<TestDataInput>({
    name: 'test-data',
    description:
      'Realistic, reproducible test data: typed fields (uuid, numbers, names, emails, addresses, dates, enums, ' +
      'regex patterns, foreign keys...) over one or more tables, up to 10,000,000 rows per table, as CSV, JSON, ' +
      'NDJSON or SQL; or, with mode "cases", valid, boundary and invalid values per field with the reason. ' +
      'With enhance: true, an LLM supplies domain-specific value pools (product names, job titles...).',
    input: testDataInputSchema,
    estimateSeconds(input) {
      const llm = input.enhance ? ESTIMATED_ENHANCE_SECONDS : 0;
      if (input.mode === 'cases') return 1 + llm;
      const rows = input.tables.reduce((sum, table) => sum + table.rows, 0);
      return 0.5 + llm + rows / ESTIMATED_ROWS_PER_SECOND;
    },
    // Bytes: rows × longest values as written; work: generation steps (worst-case.ts).
    worstCase: testDataWorstCase,
    run: (input, ctx) => runTestData(input, ctx, settings),
  });
}

/** Without LLM settings: lists and validates; hybrid jobs complete with the foundation values. */
export const testDataGenerator = createTestDataGenerator();
