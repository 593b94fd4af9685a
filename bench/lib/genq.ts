import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { startProcessStack, type ProcessStack, type TestClient } from '@genq/test-utils';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface BenchStackOptions {
  workers: number;
  /** GENQ_WORKER_CONCURRENCY */
  concurrency: number;
  /** GENQ_WORKER_GENERATORS (default: all). */
  generators?: string;
  env?: Record<string, string>;
}

export interface BenchStack {
  stack: ProcessStack;
  url: string;
  wsUrl: string;
  sql: pg.Client;
  client(tier?: 'premium' | 'standard' | 'free'): Promise<TestClient>;
  close(): Promise<void>;
}

const running = new Set<ProcessStack>();

/** Ctrl-C or SIGTERM: stop the genq processes of every stack still running, then exit. */
function stopAllOnSignal(signal: NodeJS.Signals): void {
  for (const stack of running) {
    for (const p of [...stack.apis, ...stack.workers]) p.child.kill('SIGKILL');
  }
  process.exit(signal === 'SIGINT' ? 130 : 143);
}
process.once('SIGINT', stopAllOnSignal);
process.once('SIGTERM', stopAllOnSignal);

/**
 * genq as deployed (separate API and worker processes, the real entry files, default settings
 * including LOG_LEVEL=info) on a fresh database and Redis prefix. Three limits meant to stop
 * abuse are raised so they do not cap a benchmark: rate limits (the limiter still runs on
 * every request), per-client concurrency caps of fair scheduling (it still decides every
 * dispatch) and sockets per key.
 */
export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  const stack = await startProcessStack({
    apis: 1,
    workers: options.workers,
    env: {
      GENQ_WORKER_CONCURRENCY: String(options.concurrency),
      ...(options.generators ? { GENQ_WORKER_GENERATORS: options.generators } : {}),
      GENQ_RATE_LIMIT_PREMIUM: '100000000',
      GENQ_RATE_LIMIT_STANDARD: '100000000',
      GENQ_RATE_LIMIT_FREE: '100000000',
      GENQ_RATE_LIMIT_ANONYMOUS: '100000000',
      GENQ_TIER_CONCURRENCY: 'premium:100000,standard:100000,free:100000',
      GENQ_WS_MAX_SOCKETS_PER_KEY: '20000',
      LOG_LEVEL: 'info',
      ...options.env,
    },
  });
  running.add(stack);
  const sql = new pg.Client({ connectionString: stack.databaseUrl });
  await sql.connect();
  return {
    stack,
    url: stack.urls[0]!,
    wsUrl: stack.wsUrls[0]!,
    sql,
    client: (tier = 'premium') => stack.createClient(tier),
    async close() {
      await sql.end().catch(() => undefined);
      await stack.close();
      running.delete(stack);
    },
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export interface HttpReply<T> {
  status: number;
  body: T;
}

/** JSON over a keep-alive `node:http` agent: less client overhead than fetch per request. */
export function request<T = Record<string, unknown>>(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpReply<T>> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<HttpReply<T>>((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: payload
          ? {
              ...headers,
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(payload),
            }
          : headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          try {
            resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : null) as T });
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A kept-alive socket the server closed just as this request went out (its
      // keep-alive timeout): the server never saw the request, so it is sent again.
      if (req.reusedSocket && error.code === 'ECONNRESET') {
        request<T>(method, url, body, headers).then(resolve, reject);
      } else reject(error);
    });
    req.end(payload);
  });
}

/** Submits `total` jobs through POST /api/v1/jobs/batch, `perBatch` each, `inFlight` at once. */
export async function submitBatches(
  url: string,
  headers: Record<string, string>,
  total: number,
  makeRequest: (index: number) => Record<string, unknown>,
  options: { perBatch?: number; inFlight?: number } = {},
): Promise<{ batchIds: string[]; jobIds: string[] }> {
  const perBatch = options.perBatch ?? 100;
  const batches = Math.ceil(total / perBatch);
  const batchIds: string[] = new Array<string>(batches);
  const jobIds: string[][] = new Array<string[]>(batches);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < batches) {
      const b = next;
      next += 1;
      const size = Math.min(perBatch, total - b * perBatch);
      const requests = Array.from({ length: size }, (_, i) => makeRequest(b * perBatch + i));
      const reply = await request<{ batch_id: string; job_ids: string[] }>(
        'POST',
        `${url}/api/v1/jobs/batch`,
        { requests },
        headers,
      );
      if (reply.status !== 202) {
        throw new Error(`batch refused: ${reply.status} ${JSON.stringify(reply.body)}`);
      }
      batchIds[b] = reply.body.batch_id;
      jobIds[b] = reply.body.job_ids;
    }
  };
  await Promise.all(Array.from({ length: options.inFlight ?? 4 }, lane));
  return { batchIds, jobIds: jobIds.flat() };
}

/** A Redis prefix of its own for a raw baseline; `drop()` deletes its keys. */
export function rawPrefix(): { prefix: string; drop(redis: Redis): Promise<void> } {
  const prefix = `benchraw-${randomBytes(4).toString('hex')}`;
  return {
    prefix,
    async drop(redis) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    },
  };
}

/** Resident memory of a process, from /proc (bytes). */
export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb) * 1024;
}

/** CPU time (user + system) a process has used so far, in ms, from /proc. */
export async function cpuMsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

/** The Redis server's pid (it runs on this machine). */
export async function redisServerPid(redis: Redis): Promise<number> {
  return Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1] ?? 0);
}

/** PostgreSQL backends serving the bench database (other than `sql` itself). */
export async function postgresBackends(sql: pg.Client): Promise<number[]> {
  const { rows } = await sql.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
  );
  return rows.map((r) => r.pid);
}

/** CPU time used by groups of processes between `start()` and `stop()`, in ms per group. */
export function cpuMeter(groups: Record<string, number[]>) {
  const read = () =>
    Promise.all(
      Object.entries(groups).map(async ([name, pids]) => {
        const times = await Promise.all(pids.map((pid) => cpuMsOf(pid).catch(() => 0)));
        return [name, times.reduce((a, b) => a + b, 0)] as const;
      }),
    );
  let before: (readonly [string, number])[] = [];
  return {
    async start(): Promise<void> {
      before = await read();
    },
    async stop(): Promise<Record<string, number>> {
      const after = await read();
      return Object.fromEntries(after.map(([name, t], i) => [name, t - (before[i]?.[1] ?? 0)]));
    },
  };
}
