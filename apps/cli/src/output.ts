import { CliError, EXIT } from './errors.ts';

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
}

/**
 * Where things go. With --json, stdout carries exactly one JSON document (the result, or
 * `{"error": …}`); everything meant for people goes to stderr. Without it, the result is
 * printed for people on stdout. --quiet silences progress and notes, never errors.
 */
export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  private written = false;

  constructor(options: OutputOptions) {
    this.json = options.json;
    this.quiet = options.quiet;
  }

  /** Live progress is shown unless --quiet. */
  get showProgress(): boolean {
    return !this.quiet;
  }

  /** A note for people (stderr); silenced by --quiet. */
  info(message: string): void {
    if (!this.quiet) process.stderr.write(`${message}\n`);
  }

  /** A warning for people (stderr), always shown. */
  warn(message: string): void {
    process.stderr.write(`genq: ${message}\n`);
  }

  /**
   * The command's result: `doc` as JSON with --json, else `human` lines on stdout. Called
   * once per run.
   */
  result(doc: unknown, human: () => string | string[]): void {
    if (this.written) return;
    this.written = true;
    if (this.json) {
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
      return;
    }
    const lines = human();
    const text = Array.isArray(lines) ? lines.join('\n') : lines;
    if (text) process.stdout.write(`${text}\n`);
  }

  /** Reports a failure: a readable message on stderr, and `{"error": …}` with --json. */
  error(error: unknown): void {
    const cli =
      error instanceof CliError
        ? error
        : new CliError(
            error instanceof Error ? error.message : String(error),
            EXIT.SERVER,
            'internal_error',
          );
    process.stderr.write(formatError(cli));
    if (this.json && !this.written) {
      this.written = true;
      const doc = {
        error: {
          code: cli.code,
          message: cli.message,
          details: cli.details,
          exit_code: cli.exitCode,
          ...cli.extra,
        },
      };
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    }
  }
}

export function formatError(error: CliError): string {
  const status =
    typeof error.extra.http_status === 'number' ? ` (HTTP ${error.extra.http_status})` : '';
  const code = error.code === 'usage' ? '' : ` [${error.code}${status}]`;
  const lines = [`genq: error: ${error.message}${code}`];
  for (const detail of error.details.slice(0, 50)) {
    lines.push(detail.path ? `  - ${detail.path}: ${detail.message}` : `  - ${detail.message}`);
  }
  if (error.details.length > 50) lines.push(`  … and ${error.details.length - 50} more`);
  return `${lines.join('\n')}\n`;
}

/** Names every failed or cancelled job on stderr, with its line and error. */
export function reportFailedJobs(
  jobs: {
    id: string;
    status: string;
    error: { code: string; message: string } | null;
    line?: number;
  }[],
): void {
  for (const job of jobs) {
    const where = job.line !== undefined ? ` (line ${job.line})` : '';
    const why = job.error ? `: ${job.error.code}: ${job.error.message}` : '';
    process.stderr.write(`genq: job ${job.id}${where} ${job.status}${why}\n`);
  }
}

/** 1234.5 → "1,234.5"; tolerant of null. */
export function num(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined) return '–';
  return value.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** Left-aligned columns for small tables. */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
