import { COST_CAP, satAdd, satMul, satSum } from '../cost.ts';
import type { WorstCase, WorstCasePart } from '../generator.ts';
import {
  MAX_ENHANCED_FIELDS,
  MAX_LLM_POOL_VALUES,
  MAX_SENTENCE_CHARS,
  MAX_SHORT_VALUE_CHARS,
} from './enhance/values.ts';
import { measurePattern, utf8CharBytes, type CharBytes } from './regex.ts';
import type { FieldSpec } from './schema/fields.ts';
import {
  inputPathOf,
  type FormatName,
  type TableSpec,
  type TestDataInput,
} from './schema/input.ts';

/**
 * The test-data generator's worst case (`Generator.worstCase`), from the input alone:
 * rows × the longest value each field can write (as the format encodes it, quotes and
 * escapes included) plus separators, headers, statements and metadata.json. Work is
 * generation steps: one per value, plus one per character of a `string`, word of a
 * `sentence`/`text` and tree node a `pattern` value visits (cases mode adds the linear
 * matching of its candidates). Saturating arithmetic throughout (`../cost.ts`).
 */

/**
 * The longest value (bytes, escaped for JSON, CSV or SQL) of each foundation pool over every
 * locale faker ships: measured maxima with ~1.5–2× headroom, since pools are seeded draws
 * (test-data-worst-case.test.ts keeps them honest).
 */
export const POOL_MAX_BYTES = {
  firstNames: 64,
  lastNames: 128,
  emailNames: 64,
  domains: 64,
  phones: 32,
  streetAddresses: 192,
  cities: 128,
  countries: 192,
  companies: 224,
  jobTitles: 224,
  productNames: 128,
  words: 48,
  urlWords: 48,
} as const;

/** Bytes one code point of an LLM or `value_pools` value takes at most (UTF-8, or an escaped quote). */
const BYTES_PER_CODE_POINT = 4;
/** Cases per field, at most, and what a case row adds beside its value (reason, kind, field). */
const MAX_CASES_PER_FIELD = 40;
const CASE_ROW_BYTES = 8192;
/** Candidate values cases mode matches against a pattern. */
const PATTERN_CASE_CANDIDATES = 7;
const METADATA_BYTES = 4096;
const METADATA_TABLE_BYTES = 512;

const within = (lo: number, hi: number, a: number, b: number): boolean => lo <= b && a <= hi;

/** Bytes per character as each format writes text. */
export function formatCharBytes(format: FormatName): CharBytes {
  switch (format) {
    case 'csv':
      return (lo, hi) => Math.max(utf8CharBytes(lo, hi), within(lo, hi, 0x22, 0x22) ? 2 : 0);
    case 'sql':
      return (lo, hi) => Math.max(utf8CharBytes(lo, hi), within(lo, hi, 0x27, 0x27) ? 2 : 0);
    default:
      // JSON: \u00XX for control characters and lone surrogates, \" and \\.
      return (lo, hi) =>
        within(lo, hi, 0, 0x1f) || within(lo, hi, 0xd800, 0xdfff)
          ? 6
          : Math.max(
              utf8CharBytes(lo, hi),
              within(lo, hi, 0x22, 0x22) || within(lo, hi, 0x5c, 0x5c) ? 2 : 0,
            );
  }
}

const digits = (n: number): number => String(Math.trunc(Math.abs(n))).length;

interface ValueCost {
  /** Bytes of one encoded value, quotes included. */
  bytes: number;
  work: number;
  /** The input path that sets its size, relative to the field. */
  at: (string | number)[];
  /** Candidate matching cost in cases mode (patterns only). */
  matchWork?: number;
  /** Longest value in characters (patterns only). */
  maxLength?: number;
}

interface Context {
  input: TestDataInput;
  table: TableSpec;
  charBytes: CharBytes;
  /** Worst values of earlier tables' fields, for foreign keys. */
  earlier: Map<string, ValueCost>;
}

function enhanced(context: Context, field: FieldSpec): boolean {
  const pools = context.input.value_pools ?? {};
  return (
    context.input.enhance === true ||
    `${context.table.name}.${field.name}` in pools ||
    field.name in pools
  );
}

/** The longest value of a field, as written (encoded, with quotes), and its steps. */
function valueCost(field: FieldSpec, context: Context): ValueCost {
  const rows = context.table.rows;
  const suffix = field.unique ? 2 + digits(rows) : 0;
  const quoted = (bytes: number, work = 1, at: (string | number)[] = []): ValueCost => ({
    bytes: satAdd(bytes, 2),
    work,
    at,
  });
  const llm = enhanced(context, field);
  const short = (foundation: number): ValueCost =>
    quoted(Math.max(foundation, llm ? MAX_SHORT_VALUE_CHARS * BYTES_PER_CODE_POINT : 0) + suffix);
  switch (field.type) {
    case 'uuid':
      return quoted(36);
    case 'integer':
      return { bytes: 1 + Math.max(digits(field.min), digits(field.max)), work: 1, at: [] };
    case 'number':
      return {
        bytes: 2 + Math.max(digits(field.min), digits(field.max)) + field.decimals,
        work: 1,
        at: [],
      };
    case 'boolean':
      return { bytes: 5, work: 1, at: [] };
    case 'date':
      return quoted(10);
    case 'datetime':
      return quoted(20);
    case 'string':
      return quoted(field.max_length * (llm ? BYTES_PER_CODE_POINT : 1), 1 + field.max_length, [
        'max_length',
      ]);
    case 'name':
      return short(POOL_MAX_BYTES.firstNames + 1 + POOL_MAX_BYTES.lastNames + suffix);
    case 'first_name':
      return short(POOL_MAX_BYTES.firstNames + suffix);
    case 'last_name':
      return short(POOL_MAX_BYTES.lastNames + suffix);
    case 'city':
      return short(POOL_MAX_BYTES.cities + suffix);
    case 'country':
      return short(POOL_MAX_BYTES.countries + suffix);
    case 'company':
      return short(POOL_MAX_BYTES.companies + suffix);
    case 'job_title':
      return short(POOL_MAX_BYTES.jobTitles + suffix);
    case 'product_name':
      return short(POOL_MAX_BYTES.productNames + suffix);
    case 'email':
      return quoted(
        2 * POOL_MAX_BYTES.emailNames + 2 + Math.max(2, digits(rows)) + POOL_MAX_BYTES.domains,
        4,
      );
    case 'phone':
      return quoted(POOL_MAX_BYTES.phones, 2);
    case 'address':
      return quoted(POOL_MAX_BYTES.streetAddresses + suffix, 2);
    case 'url':
      return quoted(
        'https://www./'.length +
          POOL_MAX_BYTES.domains +
          1 +
          2 * POOL_MAX_BYTES.urlWords +
          1 +
          digits(rows),
        4,
      );
    case 'sentence': {
      const foundation = field.max_words * (POOL_MAX_BYTES.words + 1) + 1;
      const pooled = llm ? MAX_SENTENCE_CHARS * BYTES_PER_CODE_POINT : 0;
      return quoted(Math.max(foundation, pooled) + suffix, 1 + field.max_words, ['max_words']);
    }
    case 'text': {
      const sentence = Math.max(
        12 * (POOL_MAX_BYTES.words + 1) + 1,
        llm ? MAX_SENTENCE_CHARS * BYTES_PER_CODE_POINT : 0,
      );
      return quoted(
        satMul(field.max_sentences, sentence + 1) + suffix,
        1 + 12 * field.max_sentences,
        ['max_sentences'],
      );
    }
    case 'enum': {
      let bytes = 0;
      for (const value of field.values) {
        const text = String(value);
        // Quotes doubled or escaped at most: two bytes per character beyond UTF-8's own.
        bytes = Math.max(
          bytes,
          Buffer.byteLength(text) + (typeof value === 'string' ? countQuotes(text) : 0),
        );
      }
      return quoted(bytes, 1, ['values']);
    }
    case 'pattern': {
      let measured;
      try {
        // The schema compiled it already (budget, nesting rule): measuring again is enough.
        const plain = measurePattern(field.pattern);
        measured = {
          ...measurePattern(field.pattern, context.charBytes),
          maxLength: plain.maxLength,
        };
      } catch {
        // Refused by the schema already; counted as too much should it ever get here.
        measured = { maxBytes: COST_CAP, steps: COST_CAP, maxLength: COST_CAP };
      }
      // CSV may quote the value (2), quote marks are counted in charBytes.
      const cost = quoted(satAdd(measured.maxBytes, 2), satAdd(1, measured.steps), ['pattern']);
      // RE2 runs in time program size × input length; the program is at most the steps.
      cost.matchWork = satMul(
        PATTERN_CASE_CANDIDATES,
        satMul(satAdd(measured.steps, 1), satAdd(measured.maxLength, 2)),
      );
      cost.maxLength = measured.maxLength;
      return cost;
    }
    case 'foreign_key': {
      const target = context.earlier.get(`${field.table}.${field.field}`);
      return { bytes: target?.bytes ?? 38, work: 2, at: [] };
    }
  }
}

function countQuotes(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 0x22 || c === 0x27 || c === 0x5c) n += 1;
    else if (c < 0x20) n += 5;
  }
  return n;
}

/** What the format adds: per row, per field (key or separator), per table and per statement. */
function formatOverhead(
  input: TestDataInput,
  table: TableSpec,
): {
  perRow: number;
  perField: (field: FieldSpec) => number;
  fixed: number;
} {
  const names = satSum(table.fields.map((f) => f.name.length + 4));
  switch (input.format) {
    case 'csv':
      return { perRow: 2, perField: () => 1, fixed: names + 2 };
    case 'json':
    case 'ndjson':
      return { perRow: 4, perField: (f) => f.name.length + 4, fixed: 8 };
    case 'sql': {
      const insert = 40 + table.name.length + names;
      const batches = Math.ceil(table.rows / input.sql.batch_size);
      const create = input.sql.create_table
        ? 64 + table.name.length + satSum(table.fields.map((f) => f.name.length + 200))
        : 0;
      return {
        perRow: 4,
        perField: () => 2,
        fixed: satAdd(satAdd(32, create), satMul(batches, insert)),
      };
    }
  }
}

function metadataBytes(input: TestDataInput): number {
  let bytes = METADATA_BYTES + input.tables.length * METADATA_TABLE_BYTES;
  for (const values of Object.values(input.value_pools ?? {})) {
    for (const value of values)
      bytes = satAdd(bytes, Buffer.byteLength(JSON.stringify(value)) + 16);
  }
  if (input.enhance) {
    bytes = satAdd(
      bytes,
      MAX_ENHANCED_FIELDS *
        (MAX_LLM_POOL_VALUES * (MAX_SENTENCE_CHARS * BYTES_PER_CODE_POINT + 16) + 4096),
    );
  }
  return bytes;
}

const count = (n: number): string => n.toLocaleString('en-US');

export function testDataWorstCase(input: TestDataInput): WorstCase {
  // Cases mode writes its values through the same encoders as rows mode.
  const charBytes = formatCharBytes(input.format);
  const earlier = new Map<string, ValueCost>();
  const parts: WorstCasePart[] = [];
  let outputBytes = metadataBytes(input);
  let work = 0;
  input.tables.forEach((table, tableIndex) => {
    const at = inputPathOf(table, tableIndex);
    const context: Context = { input, table, charBytes, earlier };
    const overhead = formatOverhead(input, table);
    let rowBytes = overhead.perRow;
    let rowWork = 0;
    const fieldParts: WorstCasePart[] = [];
    let tableBytes = overhead.fixed;
    let tableWork = 0;
    table.fields.forEach((field, fieldIndex) => {
      const value = valueCost(field, context);
      earlier.set(`${table.name}.${field.name}`, value);
      const bytes = satAdd(Math.max(value.bytes, 4), overhead.perField(field));
      const path = [...at, 'fields', fieldIndex, ...value.at];
      if (input.mode === 'cases') {
        const caseBytes = satMul(MAX_CASES_PER_FIELD, satAdd(satMul(2, bytes), CASE_ROW_BYTES));
        const caseWork = satAdd(
          satAdd(MAX_CASES_PER_FIELD, satMul(3, value.work)),
          value.matchWork ?? 0,
        );
        tableBytes = satAdd(tableBytes, caseBytes);
        tableWork = satAdd(tableWork, caseWork);
        fieldParts.push({
          path,
          outputBytes: caseBytes,
          work: caseWork,
          note: `up to ${count(caseBytes)} bytes of cases`,
        });
        return;
      }
      rowBytes = satAdd(rowBytes, bytes);
      rowWork = satAdd(rowWork, value.work);
      fieldParts.push({
        path,
        outputBytes: satMul(bytes, table.rows),
        work: satMul(value.work, table.rows),
        note:
          `up to ${count(bytes)} bytes and ${count(value.work)} steps per value` +
          (value.maxLength === undefined ? '' : ` (${count(value.maxLength)} characters)`) +
          ` × ${count(table.rows)} rows`,
      });
    });
    if (input.mode === 'rows') {
      tableBytes = satAdd(tableBytes, satMul(rowBytes, table.rows));
      tableWork = satAdd(tableWork, satMul(rowWork, table.rows));
    }
    parts.push({
      path: [...at, 'rows'],
      outputBytes: tableBytes,
      work: tableWork,
      note:
        input.mode === 'rows'
          ? `${count(table.rows)} rows × up to ${count(rowBytes)} bytes and ${count(rowWork)} steps per row`
          : `cases of ${count(table.fields.length)} fields`,
    });
    parts.push(...fieldParts);
    outputBytes = satAdd(outputBytes, tableBytes);
    work = satAdd(work, tableWork);
  });
  return { outputBytes, work, parts };
}
