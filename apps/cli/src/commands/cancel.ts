import type { Context } from '../context.ts';
import { CliError, EXIT, type ExitCode } from '../errors.ts';
import type { JobView } from '../types.ts';

/** `genq cancel <job-id>`: 0 when cancelled (or being cancelled, or already cancelled). */
export async function cancelCommand(ctx: Context, id: string): Promise<ExitCode> {
  const path = `/api/v1/jobs/${encodeURIComponent(id)}`;
  const answer = await ctx.client.json<JobView>('DELETE', path, { accept: [409] });
  if (answer.status === 409) {
    const { body: job } = await ctx.client.json<JobView>('GET', path);
    if (job.status === 'cancelled') {
      ctx.output.result(job, () => `job ${job.id} was already cancelled`);
      return EXIT.OK;
    }
    throw new CliError(
      `job ${job.id} is already ${job.status}; nothing to cancel`,
      EXIT.USAGE,
      'conflict',
      [],
      {
        http_status: 409,
      },
    );
  }
  const job = answer.body;
  ctx.output.result(job, () =>
    answer.status === 202
      ? `job ${job.id} is being cancelled (its worker is stopping it)`
      : `job ${job.id} cancelled`,
  );
  return EXIT.OK;
}
