import type { ByteChunk } from './bytes.ts';

/** How one output format writes values; field generators pre-encode pooled values with it once. */
export interface Encoder {
  /** Text of any content, quoted and escaped as the format needs. */
  text(value: string): string;
  /** True when the text may be written as quote + text + quote, with no escaping. */
  isPlain(value: string): boolean;
  /** Written around plain text: '' (CSV), '"' (JSON), "'" (SQL). Never used for the empty string. */
  readonly quote: string;
  boolean(value: boolean): string;
  /** A missing value. */
  readonly null: string;
}

export interface SqlColumnInfo {
  type: string;
  notNull: boolean;
  unique: boolean;
  references?: { table: string; column: string };
}

/** Writes the encoded value of one row; any row, in any order (values are pure functions of the row). */
export type RowWriter = (row: number, out: ByteChunk) => void;

/** One generated column. */
export interface Column {
  name: string;
  write: RowWriter;
  sql: SqlColumnInfo;
}

export interface TableShape {
  name: string;
  rows: number;
  columns: readonly Column[];
}

/** Writes one table's file; rows(from, to, out) is called for consecutive ranges. */
export interface TableSink {
  header(): string;
  rows(from: number, to: number, out: ByteChunk): void;
  footer(): string;
}

export interface OutputFormat {
  extension: string;
  encoder: Encoder;
  open(table: TableShape): TableSink;
}
