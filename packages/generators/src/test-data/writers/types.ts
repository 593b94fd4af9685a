/** How one output format writes values; field generators pre-encode pooled values with it once. */
export interface Encoder {
  /** Text of any content, quoted and escaped as the format needs. */
  text(value: string): string;
  /** True when `plain` may write this text: it needs no escaping in this format. */
  isPlain(value: string): boolean;
  /** Text already known to be plain (checked once, e.g. for a whole pool): no per-row scan. */
  plain(value: string): string;
  /** A number already written as a plain decimal literal (no exponent). */
  number(literal: string): string;
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

/** One generated column: its encoded value for any row, computed on demand. */
export interface Column {
  name: string;
  token(row: number): string;
  sql: SqlColumnInfo;
}

export interface TableShape {
  name: string;
  rows: number;
  columns: readonly Column[];
}

/** Writes one table's file as text pieces; rows(from, to) is called for consecutive ranges. */
export interface TableSink {
  header(): string;
  rows(from: number, to: number): string;
  footer(): string;
}

export interface OutputFormat {
  extension: string;
  encoder: Encoder;
  open(table: TableShape): TableSink;
}
