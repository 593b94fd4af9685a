import { readFile } from 'node:fs/promises';
import { startChild } from '../lib/ipc.ts';
import { request, rssOf, startBenchStack, submitBatches } from '../lib/genq.ts';
import type { BenchContext, Scenario } from '../lib/scenario.ts';
import { int, mb, ratio, sleep } from '../lib/stats.ts';

const JOBS = 100;

/**
 * Resident memory of one API process holding many open WebSockets, each subscribed to one of
 * 100 jobs (it received that job's snapshot); the clients live in a separate process. Raw: a
 * bare `ws` server on `node:http` holding as many sockets, each sent one snapshot-sized
 * message.
 */
export const webSocketMemory: Scenario = {
  id: 'ws-memory',
  title: 'Memory for open WebSockets',
  async run(ctx) {
    const sockets = ctx.quick ? 500 : 10_000;
    // The client process and the API each hold a descriptor per socket (children inherit it).
    const limit = await openFilesLimit();
    if (limit < sockets + 500) {
      throw new Error(`ulimit -n is ${limit}: raise it above ${sockets + 500} (ulimit -n 20000)`);
    }
    const genq = await runGenq(ctx, sockets);
    const raw = await runRaw(ctx, sockets);
    return {
      rows: [
        {
          measure: `RSS of an API process holding ${int(sockets)} WebSockets`,
          genq: mb(genq.after),
          raw: `${mb(raw.after)} (bare \`ws\` server)`,
          ratio: ratio(genq.after / raw.after),
          target: sockets >= 10_000 ? '< 300 MB' : '< 300 MB (at 10,000)',
          met: genq.after < 300 * 1024 * 1024,
        },
      ],
      notes: [
        `WebSocket memory: ${int(sockets)} sockets opened by one client process, each on \`/ws/<id>\` of one of ${JOBS} finished jobs (snapshot received). genq's API: ${mb(genq.before)} before, ${mb(genq.after)} after (${int((genq.after - genq.before) / sockets / 1024)} KB per socket); bare \`ws\`: ${mb(raw.before)} before, ${mb(raw.after)} after (${int((raw.after - raw.before) / sockets / 1024)} KB per socket). RSS from /proc, 2 s after the last socket opened.`,
      ],
    };
  },
};

/** The soft limit on open files of this process (inherited by the processes it starts). */
async function openFilesLimit(): Promise<number> {
  const limits = await readFile('/proc/self/limits', 'utf8');
  const soft = /Max open files\s+(\S+)/.exec(limits)?.[1];
  return soft === undefined || soft === 'unlimited' ? Infinity : Number(soft);
}

async function runGenq(
  ctx: BenchContext,
  sockets: number,
): Promise<{ before: number; after: number }> {
  ctx.log(`websocket memory: genq, ${sockets} sockets`);
  const bench = await startBenchStack({ workers: 1, concurrency: 10, generators: 'noop' });
  const swarm = await startChild('swarm.ts');
  try {
    const client = await bench.client('premium');
    const { jobIds } = await submitBatches(bench.url, client.headers, JOBS, () => ({
      generator: 'noop',
      input: {},
    }));
    // Warm-up: the routes and the gateway have run once.
    for (const id of jobIds.slice(0, 10)) {
      await request('GET', `${bench.url}/api/v1/jobs/${id}`, undefined, client.headers);
    }
    await sleep(2_000);
    const pid = bench.stack.apis[0]?.child.pid ?? 0;
    const before = await rssOf(pid);
    const opened = await swarm.call<{ open: number; failed: number }>('wsOpen', {
      url: `${bench.wsUrl}/ws/`,
      paths: jobIds,
      headers: client.headers,
      count: sockets,
      concurrency: 50,
    });
    if (opened.failed > 0) throw new Error(`${opened.failed} WebSockets could not open`);
    const { withSnapshot } = await swarm.call<{ withSnapshot: number }>('wsSnapshots', {});
    if (withSnapshot < sockets) throw new Error(`only ${withSnapshot} sockets got a snapshot`);
    await sleep(2_000);
    return { before, after: await rssOf(pid) };
  } finally {
    await swarm.call('closeAll').catch(() => undefined);
    await swarm.stop();
    await bench.close();
  }
}

async function runRaw(
  ctx: BenchContext,
  sockets: number,
): Promise<{ before: number; after: number }> {
  ctx.log(`websocket memory: bare ws, ${sockets} sockets`);
  const server = await startChild('raw-ws-server.ts');
  const swarm = await startChild('swarm.ts');
  try {
    const { port } = await server.call<{ port: number }>('listen');
    await sleep(2_000);
    const before = await rssOf(server.pid);
    const opened = await swarm.call<{ open: number; failed: number }>('wsOpen', {
      url: `ws://127.0.0.1:${port}/ws`,
      headers: {},
      count: sockets,
      concurrency: 50,
    });
    if (opened.failed > 0) throw new Error(`${opened.failed} WebSockets could not open`);
    await swarm.call('wsSnapshots', {});
    await sleep(2_000);
    return { before, after: await rssOf(server.pid) };
  } finally {
    await swarm.call('closeAll').catch(() => undefined);
    await swarm.stop();
    await server.stop();
  }
}
