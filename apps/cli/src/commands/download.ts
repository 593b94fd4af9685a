import path from 'node:path';
import type { Context } from '../context.ts';
import { CliError, EXIT, type ExitCode } from '../errors.ts';
import { downloadAndExtract, downloadFile, extractZip } from '../extract.ts';
import { rm } from 'node:fs/promises';
import { resolveTarget } from './watch.ts';

export interface DownloadOptions {
  out?: string;
  extract?: boolean;
}

/**
 * `genq download <job-id|batch-id>`: saves the result ZIP into --out (default: here), or with
 * --extract unpacks it into `<out>/<id>/`.
 */
export async function downloadCommand(
  ctx: Context,
  id: string,
  options: DownloadOptions,
): Promise<ExitCode> {
  const { client, output } = ctx;
  const outDir = path.resolve(options.out ?? '.');
  const target = await resolveTarget(ctx, id);

  if (target.kind === 'job') {
    const job = target.job;
    if (job.status === 'failed' || job.status === 'cancelled') {
      const why = job.error ? ` (${job.error.code}: ${job.error.message})` : '';
      throw new CliError(
        `job ${job.id} ${job.status}${why}; it has no result`,
        EXIT.JOB_FAILED,
        'result_not_ready',
      );
    }
    if (job.status !== 'completed') {
      throw new CliError(
        `job ${job.id} is ${job.status}; its result is not ready (genq watch ${job.id} waits for it)`,
        EXIT.USAGE,
        'result_not_ready',
      );
    }
    if (options.extract) {
      const { dir, files, skipped } = await downloadAndExtract(client, job.id, outDir);
      if (skipped) output.info(`genq: ${dir} exists already, left as is`);
      output.result({ job_id: job.id, dir, files }, () => dir);
      return EXIT.OK;
    }
    const file = path.join(outDir, `genq-${job.generator}-${job.id}.zip`);
    const { bytes } = await downloadFile(
      client,
      `/api/v1/jobs/${encodeURIComponent(job.id)}/result`,
      file,
    );
    output.result({ job_id: job.id, file, size_bytes: bytes }, () => file);
    return EXIT.OK;
  }

  const batch = target.batch;
  const file = path.join(outDir, `genq-batch-${batch.id}.zip`);
  const { bytes } = await downloadFile(
    client,
    `/api/v1/batches/${encodeURIComponent(batch.id)}/result`,
    file,
  );
  if (batch.counts.completed < batch.total_jobs) {
    output.info(
      `genq: batch ${batch.id} is ${batch.status}; the archive holds the ${batch.counts.completed} completed ` +
        'job(s), manifest.json lists every job',
    );
  }
  if (options.extract) {
    const dir = path.join(outDir, batch.id);
    const files = await extractZip(file, dir);
    await rm(file, { force: true });
    output.result({ batch_id: batch.id, dir, files }, () => dir);
    return EXIT.OK;
  }
  output.result({ batch_id: batch.id, file, size_bytes: bytes }, () => file);
  return EXIT.OK;
}
