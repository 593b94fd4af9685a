import { createTestDatabase } from '@genq/test-utils';
import { createDatabase, createJobsRepository } from '@genq/db';
import { v7 } from 'uuid';
const t = await createTestDatabase();
const db = createDatabase({ databaseUrl: t.url });
const jobs = createJobsRepository(db);
const N = 1000;
const ids = Array.from({ length: N }, () => v7());
const batchId = v7();
await jobs.createBatch(
  { id: batchId, clientId: null },
  ids.map((id) => ({
    id,
    clientId: null,
    batchId,
    generator: 'noop',
    input: {},
    priority: 2,
    maxAttempts: 4,
    idempotencyKey: null,
    target: null,
  })),
);
await db.$queryRaw`SELECT 1`;
const c0 = process.cpuUsage();
const t0 = performance.now();
const started = await Promise.all(ids.map((id) => jobs.startAttempt(id, 'w1')));
const again = await jobs.startAttempt(ids[0]!, 'w1');
const done = await Promise.all(
  ids.map((id, i) =>
    jobs.markCompleted(id, {
      path: `${id}/result.zip`,
      size: BigInt(i),
      files: i % 3,
      meta: i % 2 ? { seed: i } : null,
    }),
  ),
);
const c = process.cpuUsage(c0);
console.log(
  'ms/job wall',
  ((performance.now() - t0) / N).toFixed(3),
  'cpu',
  ((c.user + c.system) / 1000 / N).toFixed(3),
);
console.log(
  started.filter(Boolean).length,
  started[5]?.attempts,
  started[5]?.status,
  again?.attempts,
);
console.log(done.filter(Boolean).length, done[7]);
const twice = await jobs.markCompleted(ids[3]!, { path: 'x', size: 1n, files: 0, meta: null });
console.log('complete twice ->', twice);
const viaFind = await jobs.findById(ids[7]!);
console.log(
  JSON.stringify(viaFind, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)) ===
    JSON.stringify(done[7], (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)),
);
await db.$disconnect();
await t.drop();
