import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrateDatabase } from '@genq/db';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SERVER_URL = process.env.GENQ_TEST_DATABASE_SERVER ?? 'postgresql://postgres@127.0.0.1:5432';
const TEMPLATE = 'genq_test_template';

function urlFor(database: string): string {
  return `${SERVER_URL}/${database}`;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: urlFor('postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

let templateReady: Promise<void> | undefined;

/** Migrates the template database once per test process (a no-op when already current). */
function ensureTemplate(): Promise<void> {
  templateReady ??= migrateDatabase({
    databaseUrl: urlFor(TEMPLATE),
    migrationsDir: path.join(ROOT, 'prisma/migrations'),
    schemaPath: path.join(ROOT, 'prisma/schema.prisma'),
  }).then(() => undefined);
  return templateReady;
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh database for one test file, cloned from a migrated template: isolated state,
 * real PostgreSQL, and far faster than migrating each one.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  await ensureTemplate();
  const name = `genq_test_${randomBytes(5).toString('hex')}`;
  await admin(async (client) => {
    // Another test process may be migrating the template right now; retry briefly.
    for (let attempt = 0; ; attempt += 1) {
      try {
        await client.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`);
        return;
      } catch (error) {
        if (attempt >= 50 || (error as { code?: string }).code !== '55006') throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  });
  return {
    name,
    url: urlFor(name),
    async drop() {
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
