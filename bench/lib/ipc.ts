import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Request/response over a forked child's IPC channel. Children run through tsx like every
 * genq process, each on its own event loop: clients and raw baselines never share the bench
 * process's loop with what they measure.
 */
interface Request {
  id: number;
  method: string;
  params: unknown;
}
interface Response {
  id: number;
  result?: unknown;
  error?: string;
}
interface Notice {
  event: string;
  data: unknown;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Child {
  pid: number;
  call<T = unknown>(method: string, params?: unknown, timeoutMs?: number): Promise<T>;
  on(event: string, listener: (data: unknown) => void): void;
  stop(): Promise<void>;
}

/** Starts `bench/lib/<script>` as a child process speaking the protocol of `serve`. */
export async function startChild(script: string, env: Record<string, string> = {}): Promise<Child> {
  const child: ChildProcess = fork(path.join(ROOT, 'bench/lib', script), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let next = 0;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const listeners = new Map<string, ((data: unknown) => void)[]>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('message', (message: Response | Notice) => {
    if ('event' in message) {
      for (const listener of listeners.get(message.event) ?? []) listener(message.data);
      return;
    }
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error !== undefined) waiter.reject(new Error(message.error));
    else waiter.resolve(message.result);
  });
  child.once('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`${script} exited (${code})`));
    pending.clear();
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) =>
      reject(new Error(`${script} exited (${code}) before it was ready`)),
    );
  });
  await ready;
  return {
    pid: child.pid ?? -1,
    call<T>(method: string, params?: unknown, timeoutMs = 300_000): Promise<T> {
      const id = (next += 1);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${script}: ${method} took longer than ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        child.send({ id, method, params } satisfies Request);
      });
    },
    on(event, listener) {
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

type Handler = (params: never) => unknown;

/** The child's side: answers calls with `handlers`, tells the parent it is ready. */
export function serve(handlers: Record<string, Handler>): {
  notify(event: string, data: unknown): void;
} {
  const send = (message: Response | Notice | { ready: true }): void => {
    process.send?.(message);
  };
  process.on('message', (message: Request) => {
    const handler = handlers[message.method];
    if (!handler) {
      send({ id: message.id, error: `unknown method ${message.method}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(message.params as never))
      .then(
        (result) => send({ id: message.id, result: result ?? null }),
        (error: unknown) => send({ id: message.id, error: String(error) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  send({ ready: true });
  return { notify: (event, data) => send({ event, data }) };
}
