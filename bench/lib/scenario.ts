/** What every scenario module exports and returns. */

export interface BenchContext {
  /** Small sizes: checks that the bench works, in well under two minutes. */
  quick: boolean;
  /** Progress lines on stderr. */
  log(message: string): void;
}

/** One line of the results table: a genq figure beside its raw counterpart. */
export interface Row {
  measure: string;
  genq: string;
  raw: string;
  /** genq ÷ raw (or as the target defines it). */
  ratio: string;
  target: string;
  /** null when the row has no target. */
  met: boolean | null;
}

export interface ScenarioResult {
  rows: Row[];
  /** How it was measured, and side figures: printed under the table. */
  notes: string[];
}

export interface Scenario {
  id: string;
  title: string;
  run(ctx: BenchContext): Promise<ScenarioResult>;
}
