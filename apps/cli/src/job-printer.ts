import type { JobState } from './watch.ts';

const time = (): string => new Date().toISOString().slice(11, 19);

/**
 * Prints a job's path for people, one line per change of status or stage, and progress at
 * most once a second in between: `12:00:01 0193… running generating 62.5% 6,250 / 10,000 rows`.
 */
export class JobPrinter {
  private readonly lastPrinted = new Map<string, number>();

  constructor(
    private readonly write: (line: string) => void,
    private readonly intervalMs = 1000,
  ) {}

  update(job: JobState, previous: JobState | undefined): void {
    const changed =
      !previous ||
      previous.status !== job.status ||
      previous.current_step !== job.current_step ||
      previous.seq < 0;
    const now = Date.now();
    if (!changed && now - (this.lastPrinted.get(job.job_id) ?? 0) < this.intervalMs) return;
    this.lastPrinted.set(job.job_id, now);
    const parts = [
      time(),
      job.job_id,
      job.status,
      job.current_step === job.status ? '' : job.current_step,
      `${Math.round(job.progress * 10) / 10}%`,
      job.message ?? '',
      job.error ? `${job.error.code}: ${job.error.message}` : '',
    ];
    this.write(parts.filter(Boolean).join('  '));
  }
}
