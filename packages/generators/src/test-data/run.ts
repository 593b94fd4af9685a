import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { UnrecoverableGenerationError } from '@genq/core';
import type { GenerationContext, GenerationSummary } from '../generator.ts';
import { casesTable, fieldCases, rawEncoder } from './cases.ts';
import type { TestCase } from './cases.ts';
import { compileTables, poolsNeeded } from './compile.ts';
import type { CompiledTable } from './compile.ts';
import { HYBRID_PROGRESS, resolveFieldPools } from './enhance/index.ts';
import type { EnhanceSettings } from './enhance/index.ts';
import { TEST_DATA_VERSION } from './limits.ts';
import { loadFaker } from './locale.ts';
import { randomSeed } from './prng.ts';
import type { TestDataInput } from './schema/input.ts';
import { OutputSink } from './stream.ts';
import { buildPools } from './value-pools.ts';
import type { Pools } from './value-pools.ts';
import { ByteChunk } from './writers/bytes.ts';
import { outputFormat } from './writers/index.ts';
import type { Encoder, OutputFormat, TableShape } from './writers/types.ts';

/** Generation time per chunk: long enough to amortise the await, short enough for a responsive loop. */
const TARGET_CHUNK_MS = 10;
/** And a size cap, for very wide rows. */
const TARGET_CHUNK_BYTES = 2 * 1024 * 1024;
const FIRST_CHUNK_ROWS = 64;
const MIN_CHUNK_ROWS = 1;
const MAX_CHUNK_ROWS = 50_000;

const count = (n: number): string => n.toLocaleString('en-US');

interface WrittenFile {
  table: string;
  file: string;
  rows: number;
}

/** Share of the overall percent the rows phase spans: all of it, or 15–99 in hybrid mode. */
interface PercentRange {
  from: number;
  to: number;
}

const ALL: PercentRange = { from: 0, to: 100 };

/** Reports 'generating' progress by rows written over all tables; the percent only grows. */
class RowProgress {
  private written = 0;

  constructor(
    private readonly ctx: GenerationContext,
    private readonly total: number,
    private readonly unit: string,
    private readonly range: PercentRange = ALL,
  ) {}

  add(rows: number): void {
    this.written += rows;
    const { from, to } = this.range;
    const share = this.total === 0 ? 1 : this.written / this.total;
    // In tenths: share × 1000 for the whole bar, as before hybrid mode existed.
    const percent = Math.floor(from * 10 + share * ((to - from) * 10)) / 10;
    this.ctx.progress(
      'generating',
      percent,
      `${count(this.written)} / ${count(this.total)} ${this.unit}`,
    );
  }
}

/**
 * Streams one table into `<name>.<ext>`, in chunks sized to take ~10 ms each so the event
 * loop stays free (lock renewals, progress, cancels), checking the abort signal per chunk.
 * Rows are pure functions of their index, so chunk sizes never change the bytes.
 */
async function writeTable(
  table: TableShape,
  file: string,
  format: OutputFormat,
  ctx: GenerationContext,
  onRows: (rows: number) => void,
): Promise<void> {
  const sink = new OutputSink(ctx.output.createStream(file), ctx.signal);
  try {
    const writer = format.open(table);
    const chunk = new ByteChunk();
    await sink.write(writer.header());
    let chunkRows = FIRST_CHUNK_ROWS;
    for (let row = 0; row < table.rows;) {
      ctx.signal.throwIfAborted();
      const started = performance.now();
      const end = Math.min(table.rows, row + chunkRows);
      writer.rows(row, end, chunk);
      const elapsed = performance.now() - started;
      const bytesPerRow = chunk.length / (end - row);
      onRows(end - row);
      row = end;
      await sink.write(chunk.take());
      // Grows at most 2× per chunk: early chunks run before the JIT has optimised the code.
      const byTime = chunkRows * Math.min(2, TARGET_CHUNK_MS / Math.max(elapsed, 0.1));
      const bySize = TARGET_CHUNK_BYTES / Math.max(bytesPerRow, 1);
      chunkRows = Math.max(MIN_CHUNK_ROWS, Math.round(Math.min(MAX_CHUNK_ROWS, byTime, bySize)));
      await yieldToLoop();
    }
    ctx.signal.throwIfAborted();
    await sink.write(writer.footer());
    await sink.end();
  } catch (error) {
    sink.destroy();
    throw error;
  }
}

async function writeRows(
  tables: CompiledTable[],
  format: OutputFormat,
  ctx: GenerationContext,
  range: PercentRange,
): Promise<WrittenFile[]> {
  const progress = new RowProgress(
    ctx,
    tables.reduce((sum, t) => sum + t.rows, 0),
    'rows',
    range,
  );
  const files: WrittenFile[] = [];
  for (const table of tables) {
    const file = `${table.name}.${format.extension}`;
    await writeTable(table, file, format, ctx, (rows) => progress.add(rows));
    files.push({ table: table.name, file, rows: table.rows });
  }
  return files;
}

async function writeCases(
  tables: CompiledTable[],
  format: OutputFormat,
  ctx: GenerationContext,
  range: PercentRange,
): Promise<WrittenFile[]> {
  const samplesOf = (table: CompiledTable, index: number): string[] => {
    const value = table.values[index];
    if (!value) return [];
    const out = new ByteChunk(256);
    return Array.from({ length: Math.min(3, table.rows) }, (_, row) => {
      value.write(row, out);
      return out.takeText();
    });
  };
  const specs = tables.map((t) => t.spec);
  const progress = new RowProgress(
    ctx,
    tables.reduce((sum, t) => sum + t.spec.fields.length, 0),
    'fields',
    range,
  );
  const files: WrittenFile[] = [];
  for (const table of tables) {
    const cases: TestCase[] = [];
    for (const [index, field] of table.spec.fields.entries()) {
      cases.push(
        ...fieldCases({
          field,
          samples: samplesOf(table, index),
          tables: specs,
          sampleOf(refTable, refField) {
            const target = tables.find((t) => t.name === refTable);
            const refIndex = target?.spec.fields.findIndex((f) => f.name === refField) ?? -1;
            return target && refIndex >= 0 ? samplesOf(target, refIndex) : [];
          },
        }),
      );
    }
    const file = `${table.name}_cases.${format.extension}`;
    const shape = casesTable(`${table.name}_cases`, cases, format.encoder);
    await writeTable(shape, file, format, ctx, () => undefined);
    progress.add(table.spec.fields.length);
    files.push({ table: table.name, file, rows: cases.length });
  }
  return files;
}

/** Compiling depends only on the input and seed: a failure here would fail every attempt. */
function compile(
  input: TestDataInput,
  seed: number,
  encoder: Encoder,
  pools: Pools,
  fieldPools: ReadonlyMap<string, readonly string[]>,
): CompiledTable[] {
  try {
    return compileTables(input.tables, seed, encoder, pools, fieldPools);
  } catch (error) {
    throw new UnrecoverableGenerationError(`test-data: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * One job: the foundation (value pools drawn with faker), in hybrid mode the LLM's pools
 * (`enhance/`), then the rows. `settings` reach the LLM; without them hybrid mode falls back
 * to the foundation values.
 */
export async function runTestData(
  input: TestDataInput,
  ctx: GenerationContext,
  settings: EnhanceSettings = {},
): Promise<GenerationSummary> {
  const seed = input.seed ?? randomSeed();
  const started = performance.now();
  // In hybrid mode the phases share the bar: foundation 0–5, the LLM 5–15, rows 15–99.
  const foundationSpan = input.enhance ? HYBRID_PROGRESS.asking : 0;
  const rowsRange = input.enhance
    ? { from: HYBRID_PROGRESS.rows, to: HYBRID_PROGRESS.rowsEnd }
    : ALL;
  ctx.progress('loading_model', 0, `loading the ${input.locale} locale`);
  const faker = await loadFaker(input.locale);
  const pools = await buildPools(poolsNeeded(input.tables), {
    faker,
    fallbackFaker: () => loadFaker('en'),
    seed,
    signal: ctx.signal,
    onPool: (name, index, total) =>
      ctx.progress(
        'loading_model',
        (foundationSpan * index) / total,
        `building value pools (${index + 1}/${total}: ${name})`,
      ),
  });
  ctx.signal.throwIfAborted();
  const { fieldPools, report } = await resolveFieldPools(input, pools, ctx, settings);
  ctx.signal.throwIfAborted();

  const format = outputFormat(input.format, input.sql);
  // Cases need raw values (they are typed and encoded per case); rows are encoded per format.
  const tables = compile(
    input,
    seed,
    input.mode === 'cases' ? rawEncoder : format.encoder,
    pools,
    fieldPools,
  );
  const files =
    input.mode === 'cases'
      ? await writeCases(tables, format, ctx, rowsRange)
      : await writeRows(tables, format, ctx, rowsRange);

  ctx.progress('saving', 100, 'writing metadata.json');
  const metadata = {
    generator: 'test-data',
    version: TEST_DATA_VERSION,
    seed,
    seed_source: input.seed === undefined ? 'random' : 'input',
    locale: input.locale,
    mode: input.mode,
    format: input.format,
    tables: files.map(({ table, file, rows }) => ({ name: table, file, rows })),
    total_rows: files.reduce((sum, f) => sum + f.rows, 0),
    ...(report ? { enhancement: report } : {}),
  };
  await ctx.output.writeFile('metadata.json', `${JSON.stringify(metadata, null, 2)}\n`);
  ctx.logger.info('test-data generated', {
    seed,
    rows: metadata.total_rows,
    ms: Math.round(performance.now() - started),
  });
  if (!report) return { metadata };
  // The pools can be large: the job's stored summary names them, metadata.json holds them.
  const { pools: used, ...enhancement } = report;
  return { metadata: { ...metadata, enhancement: { ...enhancement, pools: Object.keys(used) } } };
}
