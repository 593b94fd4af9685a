import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, waitForPort } from './processes.ts';

export interface PrivateRedis {
  url: string;
  stop(): Promise<void>;
  /** Starts it again on the same port (after `stop`), empty. */
  start(): Promise<void>;
}

/**
 * A Redis server of the test's own, for tests that must do what would hurt other tests
 * sharing the machine's Redis (FLUSHALL, stopping it).
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  const start = async (): Promise<void> => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const current = child;
    exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
    await waitForPort(port);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    async stop() {
      child?.kill('SIGTERM');
      await exited;
      child = null;
    },
  };
}
