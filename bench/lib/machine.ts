import os from 'node:os';
import { Redis } from 'ioredis';
import pg from 'pg';
import { REDIS_URL } from './genq.ts';

export interface Machine {
  cpu: string;
  cores: number;
  ramGb: number;
  os: string;
  node: string;
  redis: string;
  postgres: string;
  date: string;
  /** 1-minute load average when the run started. */
  loadAtStart: number;
}

const DATABASE_SERVER =
  process.env.GENQ_TEST_DATABASE_SERVER ?? 'postgresql://postgres@127.0.0.1:5432';

export async function describeMachine(): Promise<Machine> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  await redis.connect();
  const info = await redis.info('server');
  await redis.quit();
  const sql = new pg.Client({ connectionString: `${DATABASE_SERVER}/postgres` });
  await sql.connect();
  const { rows } = await sql.query<{ server_version: string }>('SHOW server_version');
  await sql.end();
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    ramGb: os.totalmem() / 1024 ** 3,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
    postgres: rows[0]?.server_version ?? 'unknown',
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    loadAtStart: os.loadavg()[0] ?? 0,
  };
}
