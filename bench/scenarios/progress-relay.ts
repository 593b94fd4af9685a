import type pg from 'pg';
import { Redis } from 'ioredis';
import { startChild } from '../lib/ipc.ts';
import { rawPrefix, REDIS_URL, request, startBenchStack } from '../lib/genq.ts';
import type { BenchContext, Scenario } from '../lib/scenario.ts';
import { int, ms, preciseClock, ratio, sleep, type Distribution } from '../lib/stats.ts';

/** Between two progress() calls: above the progress reporter's 100 ms event throttle. */
const STEP_MS = 120;

/**
 * Progress relay: one noop job reports `steps` progress steps; every WebSocket client (all in
 * one separate process) is subscribed to it. Latency = receipt − the event's `timestamp`,
 * which the worker sets when progress() is called. Raw: one publisher, the same number of
 * Redis subscriber connections in the same kind of client process, messages of the same size
 * at the same pace.
 */
export const progressRelay: Scenario = {
  id: 'progress-relay',
  title: 'Progress relay to many WebSockets',
  async run(ctx) {
    const sockets = ctx.quick ? 100 : 1_000;
    const steps = ctx.quick ? 15 : 100;
    const { sockets: genq, tap } = await runGenq(ctx, sockets, steps);
    const raw = await runRaw(ctx, sockets, steps);
    return {
      rows: [
        {
          measure: `Progress relay: progress() → receipt by each of ${int(sockets)} WebSockets, p50`,
          genq: ms(genq.p50),
          raw: `${ms(raw.p50)} (Redis PUBLISH → ${int(sockets)} subscribers)`,
          ratio: ratio(genq.p50 / raw.p50),
          target: '',
          met: null,
        },
        {
          measure: `Progress relay: progress() → receipt by each of ${int(sockets)} WebSockets, p99`,
          genq: ms(genq.p99),
          raw: ms(raw.p99),
          ratio: ratio(genq.p99 / raw.p99),
          target: '< 5 ms',
          met: genq.p99 < 5,
        },
      ],
      notes: [
        `Progress relay: one noop job with ${steps} steps ${STEP_MS} ms apart; ${int(sockets)} WebSockets in one client process subscribed to it; ${int(genq.count)} receipts measured, from the moment every socket had its snapshot (max ${ms(genq.max)}). The event's \`timestamp\` has millisecond resolution, so genq's figures include up to 1 ms (0.5 ms on average) of rounding; receipts are timed to the microsecond on the same clock (one machine). Raw: ${int(sockets)} ioredis subscriber connections in the same kind of client process, one publisher, ${int(raw.count)} receipts (max ${ms(raw.max)}). Both include the client process's own time to read ${int(sockets)} sockets on a 2-core machine shared with the server. The worker → Redis leg alone (one plain subscriber on genq's events channel): p50 ${ms(tap.p50)}, p99 ${ms(tap.p99)}.`,
      ],
    };
  },
};

/**
 * genq's relay, and alongside it a tap: one plain Redis subscriber (its own process) on the
 * events channel, which times the worker → Redis leg that the API's subscriber also sees.
 */
async function runGenq(
  ctx: BenchContext,
  sockets: number,
  steps: number,
): Promise<{ sockets: Distribution; tap: Distribution }> {
  ctx.log(`progress relay: genq, ${sockets} WebSockets`);
  const bench = await startBenchStack({ workers: 1, concurrency: 2, generators: 'noop' });
  const swarm = await startChild('swarm.ts');
  const tap = await startChild('swarm.ts');
  try {
    const client = await bench.client('premium');
    const opened = await swarm.call<{ open: number; failed: number }>('wsOpen', {
      url: `${bench.wsUrl}/ws`,
      headers: client.headers,
      count: sockets,
    });
    if (opened.failed > 0) throw new Error(`${opened.failed} WebSockets could not open`);
    await tap.call('redisOpen', {
      url: REDIS_URL,
      channel: `${bench.stack.prefix}:events`,
      count: 1,
    });
    // Warm-up: a short job relayed to every socket.
    const warm = await relayJob(bench.url, client.headers, swarm, 10);
    await waitUntilDone(bench.sql, warm, 30_000);
    // Recording starts once every socket has its snapshot: events that arrive while a
    // subscription loads its snapshot are held until it is sent (by design), which is not
    // the relay being measured.
    const id = await relayJob(bench.url, client.headers, swarm, steps);
    await Promise.all([swarm.call('start'), tap.call('start')]);
    await waitUntilDone(bench.sql, id, steps * STEP_MS + 30_000);
    await sleep(200);
    return {
      sockets: await swarm.call<Distribution>('stop'),
      tap: await tap.call<Distribution>('stop'),
    };
  } finally {
    await Promise.all([swarm, tap].map((c) => c.call('closeAll').catch(() => undefined)));
    await Promise.all([swarm.stop(), tap.stop()]);
    await bench.close();
  }
}

/** Submits a job of `steps` progress steps and subscribes every socket to it. */
async function relayJob(
  url: string,
  headers: Record<string, string>,
  swarm: Awaited<ReturnType<typeof startChild>>,
  steps: number,
): Promise<string> {
  const reply = await request<{ id: string }>(
    'POST',
    `${url}/api/v1/jobs`,
    { generator: 'noop', input: { steps, sleep_ms: steps * STEP_MS } },
    headers,
  );
  if (reply.status !== 202) throw new Error(`submission refused: ${reply.status}`);
  await swarm.call('wsSubscribe', { jobId: reply.body.id });
  return reply.body.id;
}

async function waitUntilDone(sql: pg.Client, id: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await sql.query<{ status: string }>('SELECT status FROM jobs WHERE id = $1', [
      id,
    ]);
    if (['completed', 'failed', 'cancelled'].includes(rows[0]?.status ?? '')) return;
    if (Date.now() > deadline) throw new Error(`job ${id} did not finish`);
    await sleep(100);
  }
}

async function runRaw(ctx: BenchContext, sockets: number, steps: number): Promise<Distribution> {
  ctx.log(`progress relay: raw Redis pub/sub, ${sockets} subscribers`);
  const { prefix } = rawPrefix();
  const channel = `${prefix}:events`;
  const publisher = new Redis(REDIS_URL);
  const swarm = await startChild('swarm.ts');
  const now = preciseClock();
  try {
    const opened = await swarm.call<{ open: number; failed: number }>('redisOpen', {
      url: REDIS_URL,
      channel,
      count: sockets,
    });
    if (opened.failed > 0) throw new Error(`${opened.failed} subscribers could not connect`);
    const publish = async (count: number): Promise<void> => {
      for (let i = 1; i <= count; i += 1) {
        await sleep(STEP_MS);
        await publisher.publish(channel, rawEvent(now(), (i / count) * 100));
      }
    };
    await publish(10);
    await swarm.call('start');
    await publish(steps);
    await sleep(200);
    return await swarm.call<Distribution>('stop');
  } finally {
    await swarm.call('closeAll').catch(() => undefined);
    await swarm.stop();
    await publisher.quit();
  }
}

/** A message the size and shape of a genq progress event, with a precise send time. */
function rawEvent(sentAt: number, progress: number): string {
  return JSON.stringify({
    seq: 12,
    type: 'progress',
    sent_at: sentAt,
    job_id: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
    batch_id: null,
    client_id: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c',
    status: 'running',
    current_step: 'generating',
    progress,
    message: 'step 12 of 100',
    attempts: 1,
    error: null,
    timestamp: new Date(sentAt).toISOString(),
  });
}
