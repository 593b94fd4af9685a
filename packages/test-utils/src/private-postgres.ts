import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { migrateDatabase } from '@genq/db';
import { freePort, waitForPort } from './processes.ts';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface PrivatePostgres {
  /** A migrated database `genq` on this server. */
  url: string;
  /** Restarts the server (a fast shutdown: connections are dropped), keeping its data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its folder. */
  destroy(): Promise<void>;
}

/** The PostgreSQL binaries of this machine (Debian keeps them out of PATH). */
async function binDir(): Promise<string> {
  try {
    const { stdout } = await run('pg_config', ['--bindir']);
    const dir = stdout.trim();
    await run(path.join(dir, 'pg_ctl'), ['--version']);
    return dir;
  } catch {
    const { stdout } = await run('sh', [
      '-c',
      'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1',
    ]);
    return stdout.trim();
  }
}

/**
 * A PostgreSQL server of the test's own, for tests that stop or restart it (an outage),
 * which the machine's shared server must never see. initdb refuses to run as root, so as
 * root the server runs as the `postgres` user, in a folder that user owns.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = await binDir();
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'genq-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    await chmod(dir, 0o777);
    await run('chown', ['postgres', dir]);
  }
  const sh = (command: string) =>
    asRoot ? run('su', ['postgres', '-s', '/bin/sh', '-c', command]) : run('sh', ['-c', command]);
  const pgCtl = (action: string, extra = '') =>
    sh(
      `${bin}/pg_ctl -D ${data} -o "-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off" -l ${dir}/log -w ${extra} ${action}`,
    );

  await sh(`${bin}/initdb -D ${data} -U postgres --auth=trust -E UTF8 --no-sync >/dev/null`);
  await pgCtl('start');
  await waitForPort(port);
  const url = `postgresql://postgres@127.0.0.1:${port}/genq`;
  await migrateDatabase({
    databaseUrl: url,
    migrationsDir: path.join(ROOT, 'prisma/migrations'),
    schemaPath: path.join(ROOT, 'prisma/schema.prisma'),
  });

  return {
    url,
    restart: async () => void (await pgCtl('restart', '-m fast')),
    stop: async () => void (await pgCtl('stop', '-m fast')),
    start: async () => void (await pgCtl('start')),
    async destroy() {
      await pgCtl('stop', '-m immediate').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
