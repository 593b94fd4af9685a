import type { ApiClient, JsonAnswer } from './api-client.ts';
import type { PendingBatch, StateBatch } from './batch-state.ts';
import { CliError, EXIT } from './errors.ts';
import type { BatchView, JobList, JobRequest, JobView } from './types.ts';

/** JSON with object keys sorted: equal for equal values, whatever order the keys came in. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Whether a job is what `request` asked for (a request without a priority takes any). */
export function jobMatches(job: JobView, request: JobRequest): boolean {
  return (
    job.generator === request.generator &&
    canonical(job.input) === canonical(request.input) &&
    (request.priority === undefined || job.priority === request.priority) &&
    (job.target ?? undefined) === request.target
  );
}

export interface ReconcileOptions {
  /** Jobs listed at most (newest first) while looking; default 20,000. */
  maxJobs?: number;
  /** Margin for clock differences and slow requests; default 10 minutes. */
  marginMs?: number;
}

/**
 * After an interruption between sending a batch and recording the answer: was it accepted?
 * Lists the newest jobs back to shortly before the batch was sent, and checks each batch not
 * yet in the state file: one whose jobs are exactly the pending requests is the one sent.
 * Returns it as a state entry, null when no such batch exists; throws when the answer
 * cannot be known (more jobs to look through than `maxJobs`).
 */
export async function findAcceptedBatch(
  client: ApiClient,
  pending: PendingBatch,
  knownBatchIds: ReadonlySet<string>,
  options: ReconcileOptions = {},
): Promise<StateBatch | null> {
  const maxJobs = options.maxJobs ?? 20_000;
  const margin = options.marginMs ?? 600_000;
  const sentAt = Date.parse(pending.sent_at);
  const candidates = new Set<string>();
  let cursor: string | null = null;
  let seen = 0;
  let skewMs = 0;
  let first = true;
  for (;;) {
    const query: string = `?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const answer: JsonAnswer<JobList> = await client.json<JobList>('GET', `/api/v1/jobs${query}`);
    if (first) {
      // The server's clock decides created_at; the state file holds ours.
      const serverNow = Date.parse(answer.headers.get('date') ?? '');
      if (!Number.isNaN(serverNow)) skewMs = serverNow - Date.now();
      first = false;
    }
    const { jobs, next_cursor } = answer.body;
    for (const job of jobs) {
      if (job.batch_id && !knownBatchIds.has(job.batch_id)) candidates.add(job.batch_id);
    }
    seen += jobs.length;
    const oldest = jobs.at(-1);
    const before = oldest ? Date.parse(oldest.created_at) < sentAt + skewMs - margin : true;
    if (!next_cursor || before) break;
    if (seen >= maxJobs) {
      throw new CliError(
        `cannot tell whether lines ${describeLines(pending.lines)} were accepted before the last ` +
          `run stopped (more than ${maxJobs} jobs were created since); check with "genq watch", ` +
          'then run again with --resubmit-pending to send them anyway',
        EXIT.USAGE,
        'pending_batch_unknown',
      );
    }
    cursor = next_cursor;
  }
  for (const batchId of candidates) {
    const { body } = await client.json<BatchView>(
      'GET',
      `/api/v1/batches/${encodeURIComponent(batchId)}`,
    );
    if (body.jobs.length !== pending.requests.length) continue;
    // Jobs of a batch are created in request order (time-ordered ids); identical requests
    // are interchangeable, so the first unused match is taken.
    const unused = [...body.jobs].sort((a, b) => (a.id < b.id ? -1 : 1));
    const jobIds: string[] = [];
    for (const request of pending.requests) {
      const index = unused.findIndex((job) => jobMatches(job, request));
      if (index < 0) break;
      jobIds.push(unused[index]!.id);
      unused.splice(index, 1);
    }
    if (jobIds.length === pending.requests.length) {
      return {
        batch_id: body.id,
        lines: pending.lines,
        job_ids: jobIds,
        hashes: pending.hashes,
        accepted_at: body.created_at,
      };
    }
  }
  return null;
}

/** "1–100" or "1, 4, 9" for messages. */
export function describeLines(lines: number[]): string {
  if (lines.length === 0) return 'none';
  const first = lines[0]!;
  const last = lines.at(-1)!;
  if (last - first + 1 === lines.length)
    return lines.length === 1 ? String(first) : `${first}–${last}`;
  return lines.length <= 5 ? lines.join(', ') : `${first}–${last} (${lines.length} lines)`;
}
