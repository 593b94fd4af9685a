import { createHash } from 'node:crypto';
import path from 'node:path';
import { BatchState, defaultStatePath, type PendingBatch } from '../batch-state.ts';
import type { Context } from '../context.ts';
import { ApiError, CliError, EXIT, usageError, type ExitCode } from '../errors.ts';
import { downloadAndExtract } from '../extract.ts';
import { readRequestFile, type RequestLine } from '../input.ts';
import { formatError, reportFailedJobs } from '../output.ts';
import { bucketOf, ProgressBars, type Tally } from '../progress.ts';
import { TaskPool } from '../task-pool.ts';
import { describeLines, findAcceptedBatch } from '../reconcile.ts';
import { onInterrupt } from '../signals.ts';
import type { BatchAccepted } from '../types.ts';
import { Follower, type JobState } from '../watch.ts';

export interface BatchOptions {
  wait?: boolean;
  out?: string;
  state?: string;
  batchSize: string;
  downloadConcurrency: string;
  resubmitPending?: boolean;
}

/** Same lines of the same file → same key, so a server that knows the key never runs them twice. */
function batchIdempotencyKey(file: string, lines: RequestLine[]): string {
  const hash = createHash('sha256').update(path.resolve(file));
  for (const line of lines) hash.update(`\n${line.line}:${line.hash}`);
  return `genq-batch-${hash.digest('hex').slice(0, 48)}`;
}

function pendingFor(file: string, chunk: RequestLine[]): PendingBatch {
  return {
    idempotency_key: batchIdempotencyKey(file, chunk),
    lines: chunk.map((l) => l.line),
    hashes: chunk.map((l) => l.hash),
    requests: chunk.map((l) => l.request),
    sent_at: new Date().toISOString(),
  };
}

function positiveInt(value: string, flag: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw usageError(`${flag} must be a whole number from 1 to ${max}`);
  return n;
}

/** Rewrites `requests.3.input.rows` as `line 17: input.rows`. */
function withLines(error: ApiError, chunk: RequestLine[]): CliError {
  const details = error.details.map((detail) => {
    const match = /^requests\.(\d+)(?:\.(.*))?$/.exec(detail.path);
    const line = match ? chunk[Number(match[1])]?.line : undefined;
    if (line === undefined) return detail;
    return { path: `line ${line}${match?.[2] ? `: ${match[2]}` : ''}`, message: detail.message };
  });
  let message = error.message;
  if (error.details.some((d) => d.path === 'requests'))
    message += ' (a smaller --batch-size may help)';
  return new CliError(message, error.exitCode, error.code, details, error.extra);
}

/**
 * `genq batch <file>`: submits a JSONL / JSON-array file in batch requests, recording each
 * accepted batch in a state file so that a run that stops anywhere resumes without sending
 * a line twice; with --wait follows every job live, with --out extracts each result.
 */
export async function batchCommand(
  ctx: Context,
  file: string,
  options: BatchOptions,
): Promise<ExitCode> {
  const { client, output } = ctx;
  const batchSize = positiveInt(options.batchSize, '--batch-size', 10_000);
  const downloadConcurrency = positiveInt(
    options.downloadConcurrency,
    '--download-concurrency',
    64,
  );
  const requests = await readRequestFile(file);
  const statePath = options.state ?? defaultStatePath(file);
  const state = await BatchState.open(statePath, file);
  state.verify(requests.lines);
  await state.lock();

  const total = requests.lines.length;
  const wait = Boolean(options.wait) || options.out !== undefined;
  const outDir = options.out !== undefined ? path.resolve(options.out) : null;
  const bars = new ProgressBars(
    output,
    total,
    wait
      ? [
          'submitted',
          'running',
          'completed',
          'failed',
          ...(outDir ? (['downloaded'] as const) : []),
        ]
      : ['submitted'],
  );
  const stopInterrupt = onInterrupt(() => {
    bars.stop();
    output.warn(
      `interrupted; progress is saved in ${statePath}, run the same command again to resume`,
    );
  });

  const tally: Tally = { total, submitted: 0, running: 0, completed: 0, failed: 0, downloaded: 0 };
  const pool = new TaskPool(downloadConcurrency);
  const downloaded = new Set<string>();
  const onUpdate = (job: JobState, previous: JobState | undefined): void => {
    const before = previous ? bucketOf(previous.status) : null;
    const after = bucketOf(job.status);
    if (before !== after) {
      if (before) tally[before] -= 1;
      if (after) tally[after] += 1;
      bars.update(tally);
    }
    if (outDir && job.status === 'completed' && previous?.status !== 'completed') {
      pool.push(async () => {
        await downloadAndExtract(client, job.job_id, outDir);
        downloaded.add(job.job_id);
        tally.downloaded = downloaded.size;
        bars.update(tally);
      });
    }
  };
  const follower = wait
    ? new Follower({ client, onUpdate, onNotice: (message) => bars.note(`genq: ${message}`) })
    : null;

  try {
    // Lines already sent by an earlier run.
    for (const batch of state.batches) follower?.followBatch(batch.batch_id, batch.job_ids);

    // The last run may have stopped after sending a batch but before recording the answer.
    const pending = state.pending;
    if (pending) {
      if (options.resubmitPending) {
        output.info(
          `genq: sending lines ${describeLines(pending.lines)} again (--resubmit-pending)`,
        );
        await state.setPending(null);
      } else {
        output.info(
          `genq: checking whether lines ${describeLines(pending.lines)} were accepted before the last run stopped`,
        );
        const found = await findAcceptedBatch(
          client,
          pending,
          new Set(state.batches.map((b) => b.batch_id)),
        );
        if (found) {
          output.info(`genq: they were (batch ${found.batch_id}); not sending them again`);
          await state.recordBatch(found, null);
          follower?.followBatch(found.batch_id, found.job_ids);
        } else {
          await state.setPending(null);
        }
      }
    }
    const already = state.submittedCount;
    tally.submitted = already;
    bars.update(tally);

    const remaining = requests.lines.filter((l) => state.jobFor(l.line) === undefined);
    const chunks: RequestLine[][] = [];
    for (let i = 0; i < remaining.length; i += batchSize)
      chunks.push(remaining.slice(i, i + batchSize));
    const accepted: BatchAccepted[] = [];

    let next: PendingBatch | null = chunks[0] ? pendingFor(file, chunks[0]) : null;
    if (next) await state.setPending(next);
    for (let i = 0; i < chunks.length; i += 1) {
      const chunk = chunks[i]!;
      const pendingNow = next!;
      let answer: BatchAccepted;
      try {
        ({ body: answer } = await client.json<BatchAccepted>('POST', '/api/v1/jobs/batch', {
          body: { requests: chunk.map((l) => l.request) },
          headers: { 'idempotency-key': pendingNow.idempotency_key },
          // Not repeated after an unknown outcome: the next run checks the server instead.
          idempotent: false,
        }));
      } catch (error) {
        // A definite refusal means nothing of the batch was written.
        if (error instanceof ApiError && error.status !== 500) await state.setPending(null);
        if (error instanceof ApiError && error.status === 400) throw withLines(error, chunk);
        throw error;
      }
      if (answer.job_ids.length !== chunk.length) {
        throw new CliError(
          `the server accepted ${answer.job_ids.length} jobs for ${chunk.length} requests`,
          EXIT.SERVER,
          'bad_response',
        );
      }
      next = chunks[i + 1] ? pendingFor(file, chunks[i + 1]!) : null;
      await state.recordBatch(
        {
          batch_id: answer.batch_id,
          lines: pendingNow.lines,
          job_ids: answer.job_ids,
          hashes: pendingNow.hashes,
          accepted_at: new Date().toISOString(),
        },
        next,
      );
      accepted.push(answer);
      follower?.followBatch(answer.batch_id, answer.job_ids);
      tally.submitted = state.submittedCount;
      bars.update(tally);
    }
    const submittedNow = state.submittedCount - already;
    if (!follower) {
      bars.stop();
      output.result(
        {
          file: path.resolve(file),
          state_file: path.resolve(statePath),
          total_jobs: total,
          submitted_now: submittedNow,
          already_submitted: already,
          batches: state.batches.map((b) => ({
            batch_id: b.batch_id,
            lines: describeLines(b.lines),
            jobs: b.job_ids.length,
          })),
          jobs: requests.lines.map((l) => ({ line: l.line, job_id: state.jobFor(l.line) ?? null })),
        },
        () =>
          `submitted ${submittedNow} job(s) in ${accepted.length} batch(es)` +
          (already ? `, ${already} were already submitted` : '') +
          `; state in ${statePath}`,
      );
      return EXIT.OK;
    }

    await follower.finished();
    await pool.drain();
    bars.stop();
    const lineOf = state.lineOfJob();
    const jobs = [...follower.jobs.values()];
    const failed = jobs
      .filter((j) => j.status === 'failed' || j.status === 'cancelled')
      .map((j) => ({ id: j.job_id, line: lineOf.get(j.job_id), status: j.status, error: j.error }))
      .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    const counts = { completed: 0, failed: 0, cancelled: 0 };
    for (const job of jobs)
      if (job.status in counts) counts[job.status as keyof typeof counts] += 1;
    reportFailedJobs(failed);
    for (const error of pool.errors) {
      process.stderr.write(
        formatError(
          error instanceof CliError
            ? error
            : new CliError(String(error), EXIT.SERVER, 'download_failed'),
        ),
      );
    }

    output.result(
      {
        file: path.resolve(file),
        state_file: path.resolve(statePath),
        total_jobs: total,
        submitted_now: submittedNow,
        already_submitted: already,
        counts,
        failed_jobs: failed,
        ...(outDir
          ? {
              out_dir: outDir,
              downloaded: downloaded.size,
              download_errors: pool.errors.map((e) => (e instanceof Error ? e.message : String(e))),
            }
          : {}),
        batches: state.batches.map((b) => ({
          batch_id: b.batch_id,
          lines: describeLines(b.lines),
          jobs: b.job_ids.length,
        })),
        jobs: requests.lines.map((l) => {
          const id = state.jobFor(l.line)!;
          return { line: l.line, job_id: id, status: follower.jobs.get(id)?.status ?? null };
        }),
      },
      () => [
        `${total} job(s): ${counts.completed} completed, ${counts.failed} failed, ${counts.cancelled} cancelled`,
        ...(outDir ? [`results of ${downloaded.size} job(s) in ${outDir}`] : []),
      ],
    );
    if (failed.length > 0) return EXIT.JOB_FAILED;
    if (pool.errors.length > 0) return EXIT.SERVER;
    return EXIT.OK;
  } finally {
    follower?.close();
    bars.stop();
    stopInterrupt();
    state.unlockSync();
  }
}
