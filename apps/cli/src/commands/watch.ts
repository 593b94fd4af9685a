import type { Context } from '../context.ts';
import { CliError, EXIT, type ExitCode } from '../errors.ts';
import { JobPrinter } from '../job-printer.ts';
import { reportFailedJobs } from '../output.ts';
import { bucketOf, ProgressBars, type Tally } from '../progress.ts';
import { onInterrupt } from '../signals.ts';
import { isTerminalStatus, type BatchView, type JobView } from '../types.ts';
import { Follower } from '../watch.ts';
import { followJob } from './submit.ts';

export type Target = { kind: 'job'; job: JobView } | { kind: 'batch'; batch: BatchView };

/** A job id or a batch id: asks for a job first, then for a batch. */
export async function resolveTarget(ctx: Context, id: string): Promise<Target> {
  const encoded = encodeURIComponent(id);
  const job = await ctx.client.json<JobView>('GET', `/api/v1/jobs/${encoded}`, { accept: [404] });
  if (job.status !== 404) return { kind: 'job', job: job.body };
  const batch = await ctx.client.json<BatchView>('GET', `/api/v1/batches/${encoded}`, {
    accept: [404],
  });
  if (batch.status !== 404) return { kind: 'batch', batch: batch.body };
  throw new CliError(`no job or batch ${id}`, EXIT.USAGE, 'not_found');
}

/**
 * `genq watch <job-id|batch-id>`: follows it live until it ends; exit 0 when everything
 * completed, 1 when something failed or was cancelled.
 */
export async function watchCommand(ctx: Context, id: string): Promise<ExitCode> {
  const { output } = ctx;
  const target = await resolveTarget(ctx, id);

  if (target.kind === 'job') {
    // Stages are the point of watching a job: stdout for people, stderr beside --json.
    const write = output.json
      ? (line: string) => process.stderr.write(`${line}\n`)
      : (line: string) => process.stdout.write(`${line}\n`);
    const printer = output.quiet ? null : new JobPrinter(write);
    const job = isTerminalStatus(target.job.status)
      ? target.job
      : await followJob(ctx, target.job.id, printer);
    output.result(job, () => `job ${job.id} ${job.status}`);
    if (job.status === 'completed') return EXIT.OK;
    reportFailedJobs([job]);
    return EXIT.JOB_FAILED;
  }

  const batch = target.batch;
  const total = batch.total_jobs;
  const tally: Tally = { total, submitted: total, running: 0, completed: 0, failed: 0 };
  const bars = new ProgressBars(output, total, ['running', 'completed', 'failed']);
  const stop = onInterrupt(() => bars.stop());
  const follower = new Follower({
    client: ctx.client,
    onNotice: (message) => bars.note(`genq: ${message}`),
    onUpdate: (job, previous) => {
      const before = previous ? bucketOf(previous.status) : null;
      const after = bucketOf(job.status);
      if (before === after) return;
      if (before) tally[before] -= 1;
      if (after) tally[after] += 1;
      bars.update(tally);
    },
  });
  try {
    follower.followBatch(
      batch.id,
      batch.jobs.map((j) => j.id),
    );
    await follower.finished();
  } finally {
    follower.close();
    bars.stop();
    stop();
  }
  const { body: final } = await ctx.client.json<BatchView>(
    'GET',
    `/api/v1/batches/${encodeURIComponent(batch.id)}`,
  );
  const failed = final.jobs.filter((j) => j.status === 'failed' || j.status === 'cancelled');
  reportFailedJobs(failed);
  output.result(
    final,
    () =>
      `batch ${final.id} ${final.status}: ${final.counts.completed} completed, ${final.counts.failed} failed, ` +
      `${final.counts.cancelled} cancelled`,
  );
  return failed.length > 0 ? EXIT.JOB_FAILED : EXIT.OK;
}
