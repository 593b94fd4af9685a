/**
 * Many clients in one process, apart from the bench and from genq: WebSockets to genq's API,
 * or Redis subscribers for the raw baseline. Records the latency of every progress message it
 * receives (receipt time minus the `timestamp`, or `sent_at` when the message carries one).
 */
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { serve } from './ipc.ts';
import { distribution, preciseClock } from './stats.ts';

let now = preciseClock();
const sockets: WebSocket[] = [];
const subscribers: Redis[] = [];
let recording = false;
let since = 0;
let samples: number[] = [];
const snapshots = new Map<WebSocket, number>();

/** Latency of a progress message, from its text (no JSON parsing: 1,000 receipts per event). */
function record(text: string): void {
  if (!recording || !text.includes('"type":"progress"')) return;
  const received = now();
  let sent: number;
  const precise = text.indexOf('"sent_at":');
  if (precise >= 0) {
    sent = Number.parseFloat(text.slice(precise + 10, precise + 40));
  } else {
    const at = text.indexOf('"timestamp":"');
    if (at < 0) return;
    sent = Date.parse(text.slice(at + 13, at + 37));
  }
  if (sent >= since) samples.push(received - sent);
}

async function inBatches(count: number, concurrency: number, open: (i: number) => Promise<void>) {
  let nextIndex = 0;
  let failed = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (nextIndex < count) {
      const i = nextIndex;
      nextIndex += 1;
      await open(i).catch(() => (failed += 1));
    }
  });
  await Promise.all(lanes);
  return failed;
}

serve({
  /** Opens `count` WebSockets; `paths[i % paths.length]` is appended to `url`. */
  async wsOpen(params: {
    url: string;
    paths?: string[];
    headers: Record<string, string>;
    count: number;
    concurrency?: number;
  }) {
    const paths = params.paths ?? [''];
    const failed = await inBatches(params.count, params.concurrency ?? 100, (i) => {
      const socket = new WebSocket(`${params.url}${paths[i % paths.length]}`, {
        headers: params.headers,
        perMessageDeflate: false,
      });
      socket.on('message', (data) => {
        const text = data.toString();
        if (text.startsWith('{"type":"snapshot"') || text.includes('"type":"snapshot"')) {
          snapshots.set(socket, (snapshots.get(socket) ?? 0) + 1);
        }
        record(text);
      });
      socket.on('error', () => undefined);
      return new Promise<void>((resolve, reject) => {
        socket.once('open', () => {
          sockets.push(socket);
          resolve();
        });
        socket.once('error', reject);
        socket.once('unexpected-response', (_req, res) =>
          reject(new Error(`upgrade refused: ${res.statusCode}`)),
        );
      });
    });
    return { open: sockets.length, failed };
  },
  /** Every open socket subscribes to `jobId`; resolves once each has its snapshot. */
  async wsSubscribe(params: { jobId: string; timeoutMs?: number }) {
    const before = new Map(sockets.map((s) => [s, snapshots.get(s) ?? 0]));
    const message = JSON.stringify({ action: 'subscribe', job_id: params.jobId });
    for (const socket of sockets) socket.send(message);
    const deadline = Date.now() + (params.timeoutMs ?? 60_000);
    for (;;) {
      const done = sockets.filter((s) => (snapshots.get(s) ?? 0) > (before.get(s) ?? 0)).length;
      if (done === sockets.length || Date.now() > deadline) return { subscribed: done };
      await new Promise((r) => setTimeout(r, 20));
    }
  },
  /** Waits until every socket has received at least one snapshot. */
  async wsSnapshots(params: { timeoutMs?: number }) {
    const deadline = Date.now() + (params.timeoutMs ?? 120_000);
    for (;;) {
      const done = sockets.filter((s) => (snapshots.get(s) ?? 0) > 0).length;
      if (done === sockets.length || Date.now() > deadline) return { withSnapshot: done };
      await new Promise((r) => setTimeout(r, 50));
    }
  },
  wsCount: () => sockets.filter((s) => s.readyState === WebSocket.OPEN).length,
  /** Opens `count` subscriber connections to `channel`. */
  async redisOpen(params: { url: string; channel: string; count: number }) {
    const failed = await inBatches(params.count, 50, async () => {
      const redis = new Redis(params.url, { enableReadyCheck: false, maxRetriesPerRequest: 1 });
      redis.on('error', () => undefined);
      subscribers.push(redis);
      redis.on('message', (_channel: string, message: string) => record(message));
      await redis.subscribe(params.channel);
    });
    return { open: subscribers.length, failed };
  },
  /** Starts recording progress messages sent from now on. */
  start() {
    now = preciseClock();
    samples = [];
    since = now();
    recording = true;
  },
  stop() {
    recording = false;
    return distribution(samples);
  },
  async closeAll() {
    for (const socket of sockets.splice(0)) socket.terminate();
    await Promise.all(subscribers.splice(0).map((r) => r.quit().catch(() => r.disconnect())));
    snapshots.clear();
  },
});
