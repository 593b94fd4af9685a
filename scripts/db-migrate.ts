// npm run db:migrate: creates the database if needed and applies prisma/migrations.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DATABASE_URL, migrateDatabase } from '../packages/db/src/migrate.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const databaseUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;

try {
  const { applied } = await migrateDatabase({
    databaseUrl,
    migrationsDir: path.join(root, 'prisma', 'migrations'),
    schemaPath: path.join(root, 'prisma', 'schema.prisma'),
    log: (msg) => console.log(`  ${msg}`),
  });
  const target = new URL(databaseUrl).pathname.slice(1);
  if (applied.length === 0)
    console.log(`Database "${target}" is up to date; no migration applied.`);
  else
    console.log(
      `Applied ${applied.length} migration(s) to "${target}":\n${applied.map((m) => `  - ${m}`).join('\n')}`,
    );
} catch (err) {
  console.error('Migration failed:', err instanceof Error ? err.message : err);
  process.exitCode = 1;
}
