import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { startChild, type Child } from '../lib/ipc.ts';
import { rawPrefix, REDIS_URL, request, startBenchStack } from '../lib/genq.ts';
import type { BenchContext, Scenario } from '../lib/scenario.ts';
import { distribution, ms, ratio, type Distribution } from '../lib/stats.ts';

const WORKERS = 2;
const CONCURRENCY = 50;
const WARM_UP = 30;

/**
 * One job at a time: `POST /api/v1/jobs` (noop) → its `completed` event on a WebSocket that
 * subscribed right after the POST answered, on one connection kept open. Raw: BullMQ `add` →
 * the `completed` QueueEvent, with a no-op Worker in the same number of processes.
 */
export const oneJob: Scenario = {
  id: 'one-job',
  title: 'One job at a time',
  async run(ctx) {
    const count = ctx.quick ? 30 : 500;
    const genq = await runGenq(ctx, count);
    const raw = await runRaw(ctx, count);
    const p99 = genq.p99 / raw.p99;
    return {
      rows: [
        {
          measure: 'One job at a time, submit → `completed` event, p50',
          genq: ms(genq.p50),
          raw: `${ms(raw.p50)} (BullMQ add → QueueEvents completed)`,
          ratio: ratio(genq.p50 / raw.p50),
          target: '',
          met: null,
        },
        {
          measure: 'One job at a time, submit → `completed` event, p99',
          genq: ms(genq.p99),
          raw: ms(raw.p99),
          ratio: ratio(p99),
          target: '≤ 3× raw',
          met: p99 <= 3,
        },
      ],
      notes: [
        `One job at a time: ${count} noop jobs one after the other (after ${WARM_UP} unmeasured), each \`POST /api/v1/jobs\` then \`{"action":"subscribe"}\` on one open WebSocket, until a message says \`completed\` (the event, or the snapshot when the job was already done); ${WORKERS} worker processes × ${CONCURRENCY}. genq max ${ms(genq.max)}, raw max ${ms(raw.max)}.`,
      ],
    };
  },
};

async function runGenq(ctx: BenchContext, count: number): Promise<Distribution> {
  ctx.log(`one job at a time: genq, ${count} jobs`);
  const bench = await startBenchStack({
    workers: WORKERS,
    concurrency: CONCURRENCY,
    generators: 'noop',
  });
  let socket: WebSocket | undefined;
  try {
    const client = await bench.client('premium');
    socket = new WebSocket(`${bench.wsUrl}/ws`, {
      headers: client.headers,
      perMessageDeflate: false,
    });
    const ws = socket;
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    let waiting: { id: string; done: () => void } | null = null;
    ws.on('message', (data) => {
      if (!waiting) return;
      const message = JSON.parse(data.toString()) as { job_id?: string; status?: string };
      if (message.job_id === waiting.id && message.status === 'completed') waiting.done();
    });
    const latencies: number[] = [];
    for (let i = 0; i < WARM_UP + count; i += 1) {
      const started = performance.now();
      const reply = await request<{ id: string }>(
        'POST',
        `${bench.url}/api/v1/jobs`,
        { generator: 'noop', input: {} },
        client.headers,
      );
      if (reply.status !== 202) throw new Error(`submission refused: ${reply.status}`);
      const id = reply.body.id;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`job ${id} did not complete`)), 30_000);
        waiting = {
          id,
          done: () => {
            clearTimeout(timer);
            resolve();
          },
        };
        ws.send(JSON.stringify({ action: 'subscribe', job_id: id }));
      });
      if (i >= WARM_UP) latencies.push(performance.now() - started);
      waiting = null;
      ws.send(JSON.stringify({ action: 'unsubscribe', job_id: id }));
    }
    return distribution(latencies);
  } finally {
    socket?.terminate();
    await bench.close();
  }
}

async function runRaw(ctx: BenchContext, count: number): Promise<Distribution> {
  ctx.log(`one job at a time: raw BullMQ, ${count} jobs`);
  const { prefix, drop } = rawPrefix();
  const queueName = 'bench-one';
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection: redis, prefix });
  const eventsConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const events = new QueueEvents(queueName, { connection: eventsConnection, prefix });
  const children: Child[] = [];
  try {
    await events.waitUntilReady();
    for (let i = 0; i < WORKERS; i += 1) {
      const child = await startChild('raw-worker.ts');
      children.push(child);
      await child.call('start', {
        redisUrl: REDIS_URL,
        prefix,
        queue: queueName,
        concurrency: CONCURRENCY,
      });
    }
    const waiters = new Map<string, () => void>();
    events.on('completed', ({ jobId }) => waiters.get(jobId)?.());
    const latencies: number[] = [];
    for (let i = 0; i < WARM_UP + count; i += 1) {
      const jobId = randomUUID();
      const started = performance.now();
      const completed = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`raw job ${jobId} did not complete`)),
          30_000,
        );
        waiters.set(jobId, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      await queue.add('noop', {}, { jobId, removeOnComplete: true, removeOnFail: true });
      await completed;
      waiters.delete(jobId);
      if (i >= WARM_UP) latencies.push(performance.now() - started);
    }
    return distribution(latencies);
  } finally {
    await Promise.all(children.map((c) => c.call('close').catch(() => undefined)));
    await Promise.all(children.map((c) => c.stop()));
    await events.close();
    eventsConnection.disconnect();
    await queue.close();
    await drop(redis);
    await redis.quit();
  }
}
