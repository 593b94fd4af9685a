import cliProgress from 'cli-progress';
import type { Output } from './output.ts';

export interface Tally {
  total: number;
  submitted: number;
  running: number;
  completed: number;
  /** Failed or cancelled. */
  failed: number;
  /** Result folders written (only with --out). */
  downloaded?: number;
}

/** Which count a job status adds to (waiting and retrying jobs are in none). */
export function bucketOf(status: string): 'running' | 'completed' | 'failed' | null {
  if (status === 'running') return 'running';
  if (status === 'completed') return 'completed';
  if (status === 'failed' || status === 'cancelled') return 'failed';
  return null;
}

export type BarName = 'submitted' | 'running' | 'completed' | 'failed' | 'downloaded';

/**
 * Progress of many jobs on stderr: cli-progress bars on a terminal (submitted, running,
 * completed, failed, downloaded: those asked for), one summary line every few seconds
 * otherwise (CI logs), nothing with --quiet.
 */
export class ProgressBars {
  private readonly multibar: cliProgress.MultiBar | null = null;
  private readonly bars = new Map<BarName, cliProgress.SingleBar>();
  private readonly timer: NodeJS.Timeout | null = null;
  private last: Tally;
  private lastLine = '';
  private stopped = false;

  constructor(
    private readonly output: Output,
    total: number,
    /** Which counts to show, in this order. */
    private readonly shown: readonly BarName[],
    private readonly everyMs = 5000,
  ) {
    this.last = { total, submitted: 0, running: 0, completed: 0, failed: 0, downloaded: 0 };
    if (!output.showProgress) return;
    if (process.stderr.isTTY) {
      this.multibar = new cliProgress.MultiBar(
        {
          stream: process.stderr,
          format: ' {name} {bar} {value}/{total}',
          barsize: 30,
          hideCursor: true,
          clearOnComplete: false,
          autopadding: true,
          fps: 10,
        },
        cliProgress.Presets.shades_classic,
      );
      for (const name of shown) {
        this.bars.set(name, this.multibar.create(total, 0, { name: name.padEnd(10) }));
      }
    } else {
      this.timer = setInterval(() => this.printLine(), everyMs);
      this.timer.unref();
    }
  }

  update(tally: Tally): void {
    this.last = tally;
    for (const [name, bar] of this.bars) {
      bar.setTotal(tally.total);
      bar.update(tally[name] ?? 0);
    }
  }

  /** A message for people, printed above the bars on a terminal. */
  note(message: string): void {
    if (this.output.quiet) return;
    if (this.multibar) this.multibar.log(`${message}\n`);
    else process.stderr.write(`${message}\n`);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.multibar) this.multibar.stop();
    else if (this.output.showProgress) this.printLine();
  }

  private printLine(): void {
    const t = this.last;
    const parts = this.shown.map((name) =>
      name === 'submitted' ? `submitted ${t.submitted}/${t.total}` : `${name} ${t[name] ?? 0}`,
    );
    const line = `genq: ${parts.join(', ')}`;
    if (line === this.lastLine) return;
    this.lastLine = line;
    process.stderr.write(`${line}\n`);
  }
}
