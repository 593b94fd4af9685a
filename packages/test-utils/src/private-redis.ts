import { spawn } from 'node:child_process';
import { freePort, waitForPort } from './processes.ts';

export interface PrivateRedis {
  url: string;
  stop(): Promise<void>;
}

/**
 * A Redis server of the test's own, for tests that must do what would hurt other tests
 * sharing the machine's Redis (FLUSHALL, a restart).
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForPort(port);
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
