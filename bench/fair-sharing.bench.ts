/**
 * Throughput of noop jobs with fair scheduling on (GENQ_SCHEDULING=fair) and off (strict), in
 * the same run: each mode gets a fresh in-process stack (API + 2 worker processes' worth of
 * in-process workers), three clients (premium, standard, free) with the same backlog, and
 * the time from the workers' start until every job completed.
 *
 *   npx tsx bench/fair-sharing.bench.ts [jobs per client] [concurrency per worker]
 *   (default: 1000 4)
 */
import { performance } from 'node:perf_hooks';
import { v7 as uuidv7 } from 'uuid';
import { PRIORITIES } from '@genq/core';
import { createSchedulingRepository } from '@genq/db';
import {
  createFairScheduler,
  createJobQueue,
  DEFAULT_SCHEDULING,
  redisKeys,
  type SchedulingMode,
} from '@genq/queue';
import { startTestStack, waitUntil } from '@genq/test-utils';

const perClient = Number(process.argv[2] ?? 1000);
const concurrency = Number(process.argv[3] ?? 4);
const TIERS = [
  ['premium', PRIORITIES.HIGH],
  ['standard', PRIORITIES.NORMAL],
  ['free', PRIORITIES.LOW],
] as const;

async function measure(mode: SchedulingMode): Promise<number> {
  const stack = await startTestStack({
    workers: 0,
    concurrency,
    scheduling: mode,
    // Caps out of the way: this measures the scheduler's cost, not its limits.
    tierConcurrency: { premium: 1000, standard: 1000, free: 1000 },
  });
  try {
    const bull = createJobQueue({
      connection: stack.redis,
      prefix: stack.prefix,
      generators: ['noop'],
    });
    const repository = createSchedulingRepository(stack.db);
    const fair = createFairScheduler({
      redis: stack.redis,
      prefix: stack.prefix,
      keys: redisKeys(stack.prefix),
      bull,
      settings: {
        ...DEFAULT_SCHEDULING,
        concurrency: { premium: 1000, standard: 1000, free: 1000 },
      },
      clientLimits: (ids) => repository.clientLimits(ids),
    });
    const queue = mode === 'fair' ? fair.jobQueue : bull;
    for (const [tier, priority] of TIERS) {
      const client = await stack.createClient(tier);
      const ids = Array.from({ length: perClient }, () => uuidv7());
      await stack.db.$executeRaw`
        INSERT INTO jobs (id, client_id, generator, input, priority, max_attempts)
        SELECT id, ${client.clientId}::uuid, 'noop', '{}'::jsonb, ${priority}, 4
        FROM unnest(${ids}::uuid[]) AS id`;
      for (let i = 0; i < ids.length; i += 1000) {
        await queue.enqueue(
          ids
            .slice(i, i + 1000)
            .map((id) => ({ id, generator: 'noop', priority, clientId: client.clientId })),
        );
      }
    }
    const total = perClient * TIERS.length;
    const started = performance.now();
    await stack.startWorker();
    await stack.startWorker();
    await waitUntil(
      () => stack.db.job.count({ where: { status: 'completed' } }),
      (done) => done === total,
      600_000,
      100,
    );
    const seconds = (performance.now() - started) / 1000;
    await bull.close();
    return total / seconds;
  } finally {
    await stack.close();
  }
}

const results: Partial<Record<SchedulingMode, number>> = {};
// Strict first, then fair, then strict again: the mean of the two strict runs cancels a
// machine that warms up or slows down over the run.
const strict1 = await measure('strict');
results.fair = await measure('fair');
const strict2 = await measure('strict');
results.strict = (strict1 + strict2) / 2;
const line = (mode: SchedulingMode): string =>
  `${mode.padEnd(6)} ${results[mode]!.toFixed(1)} jobs/s`;
console.log(
  `noop jobs: ${perClient} per client × 3 clients, 2 workers × concurrency ${concurrency}`,
);
console.log(line('strict'), `(runs: ${strict1.toFixed(1)}, ${strict2.toFixed(1)})`);
console.log(line('fair'));
console.log(`fair / strict: ${((results.fair! / results.strict) * 100).toFixed(0)}%`);
process.exit(0);
