import WebSocket from 'ws';
import { request, startBenchStack } from './lib/genq.ts';
import { percentile } from './lib/stats.ts';
const bench = await startBenchStack({
  workers: 2,
  concurrency: 50,
  generators: 'noop',
  env: process.env.SCHED ? { GENQ_SCHEDULING: process.env.SCHED } : {},
});
const client = await bench.client('premium');
const ws = new WebSocket(`${bench.wsUrl}/ws`, { headers: client.headers });
await new Promise((r) => ws.once('open', r));
let waiting: any = null;
ws.on('message', (d) => {
  const m = JSON.parse(d.toString());
  if (waiting && m.job_id === waiting.id && m.status === 'completed') waiting.done();
});
const rows: any[] = [];
for (let i = 0; i < 80; i++) {
  const t0 = Date.now();
  const r = await request<{ id: string }>(
    'POST',
    `${bench.url}/api/v1/jobs`,
    { generator: 'noop', input: {} },
    client.headers,
  );
  const tPost = Date.now();
  await new Promise<void>((res) => {
    waiting = { id: r.body.id, done: res };
    ws.send(JSON.stringify({ action: 'subscribe', job_id: r.body.id }));
  });
  const tEnd = Date.now();
  const {
    rows: [row],
  } = await bench.sql.query('SELECT created_at, started_at, completed_at FROM jobs WHERE id=$1', [
    r.body.id,
  ]);
  if (i >= 20)
    rows.push({
      insert: row.created_at - t0,
      post: tPost - t0,
      toStart: row.started_at - row.created_at,
      run: row.completed_at - row.started_at,
      toWs: tEnd - row.completed_at,
      total: tEnd - t0,
    });
}
for (const k of Object.keys(rows[0]))
  console.log(
    k.padEnd(8),
    'p50',
    percentile(
      rows.map((r) => r[k]),
      50,
    ),
    'p90',
    percentile(
      rows.map((r) => r[k]),
      90,
    ),
  );
ws.terminate();
await bench.close();
