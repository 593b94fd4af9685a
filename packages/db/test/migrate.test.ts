import { describe, it, expect, afterAll } from '@jest/globals';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrateDatabase } from '../src/migrate.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const serverUrl = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/genq');
const database = `genq_test_migrate_${process.pid}_${Date.now()}`;
const databaseUrl = Object.assign(new URL(serverUrl), { pathname: `/${database}` }).toString();
const adminUrl = Object.assign(new URL(serverUrl), { pathname: '/postgres' }).toString();

async function query<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

describe('migrateDatabase', () => {
  afterAll(async () => {
    await query(adminUrl, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
  });

  it('creates a fresh database, applies the migrations once, then has nothing to apply', async () => {
    const opts = {
      databaseUrl,
      migrationsDir: path.join(root, 'prisma', 'migrations'),
      schemaPath: path.join(root, 'prisma', 'schema.prisma'),
    };

    const first = await migrateDatabase(opts);
    expect(first.applied.length).toBeGreaterThan(0);
    expect(first.applied[0]).toMatch(/^\d{14}_init$/);

    const second = await migrateDatabase(opts);
    expect(second.applied).toEqual([]);

    const tables = await query<{ name: string | null }>(
      databaseUrl,
      "SELECT to_regclass('public.jobs')::text AS name",
    );
    expect(tables[0]?.name).toBe('jobs');
    const recorded = await query<{ migration_name: string }>(
      databaseUrl,
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name',
    );
    expect(recorded.map((r) => r.migration_name)).toEqual(first.applied);
  }, 60_000);
});
