import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Context } from '../context.ts';
import { EXIT, usageError, type ExitCode } from '../errors.ts';
import { downloadAndExtract } from '../extract.ts';
import { applySets, parsePriority, readJsonObject } from '../input.ts';
import { JobPrinter } from '../job-printer.ts';
import { reportFailedJobs } from '../output.ts';
import type { JobRequest, JobView } from '../types.ts';
import { Follower } from '../watch.ts';

export interface SubmitOptions {
  input?: string;
  set: string[];
  priority?: string;
  target?: string;
  wait?: boolean;
  out?: string;
  idempotencyKey?: string;
}

export async function buildRequest(generator: string, options: SubmitOptions): Promise<JobRequest> {
  if (!generator) throw usageError('name a generator, e.g. genq submit test-data');
  const input = options.input ? await readJsonObject(options.input, 'input file') : {};
  applySets(input, options.set);
  const request: JobRequest = { generator, input };
  if (options.priority) request.priority = parsePriority(options.priority);
  if (options.target) request.target = options.target;
  return request;
}

/** Follows one job to its end over the WebSocket (polling if need be); returns its final view. */
export async function followJob(
  ctx: Context,
  jobId: string,
  printer: JobPrinter | null,
): Promise<JobView> {
  const follower = new Follower({
    client: ctx.client,
    onUpdate: (job, previous) => printer?.update(job, previous),
    onNotice: (message) => ctx.output.info(`genq: ${message}`),
  });
  follower.followJob(jobId);
  try {
    await follower.finished();
  } finally {
    follower.close();
  }
  const { body } = await ctx.client.json<JobView>(
    'GET',
    `/api/v1/jobs/${encodeURIComponent(jobId)}`,
  );
  return body;
}

/** `genq submit <generator>`: one job; with --wait follows it, with --out extracts its result. */
export async function submitCommand(
  ctx: Context,
  generator: string,
  options: SubmitOptions,
): Promise<ExitCode> {
  const { client, output } = ctx;
  const request = await buildRequest(generator, options);
  // A key per run makes retrying the POST safe: a repeat returns the same job.
  const idempotencyKey = options.idempotencyKey ?? `genq-cli-${randomUUID()}`;
  const answer = await client.json<JobView>('POST', '/api/v1/jobs', {
    body: request,
    headers: { 'idempotency-key': idempotencyKey },
    idempotent: true,
  });
  let job = answer.body;
  const replayed = answer.headers.get('idempotent-replayed') === 'true';
  output.info(
    replayed
      ? `genq: job ${job.id} was already submitted with this idempotency key (${job.status})`
      : `genq: job ${job.id} ${job.status}` +
          (job.position !== null ? `, position ${job.position}` : '') +
          (job.eta_seconds !== null ? `, eta ${Math.round(job.eta_seconds)} s` : ''),
  );

  const wait = options.wait || options.out !== undefined;
  if (!wait) {
    output.result(job, () => job.id);
    return EXIT.OK;
  }

  const printer = output.quiet ? null : new JobPrinter((line) => process.stderr.write(`${line}\n`));
  job = await followJob(ctx, job.id, printer);

  let extracted: { dir: string; files: string[] } | null = null;
  if (job.status === 'completed' && options.out !== undefined) {
    const result = await downloadAndExtract(client, job.id, path.resolve(options.out));
    extracted = { dir: result.dir, files: result.files };
    output.info(`genq: result of ${job.id} extracted into ${result.dir}`);
  }
  output.result(
    { ...job, ...(extracted ? { out_dir: extracted.dir, files: extracted.files } : {}) },
    () => (job.status === 'completed' ? (extracted ? [job.id, extracted.dir] : job.id) : job.id),
  );
  if (job.status === 'completed') return EXIT.OK;
  reportFailedJobs([job]);
  return EXIT.JOB_FAILED;
}
