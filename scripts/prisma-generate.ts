// Runs `prisma generate` without letting the CLI download its native schema engine
// (generate never runs it, but the CLI insists on finding one first).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const prisma = path.join(root, 'node_modules', '.bin', 'prisma');
const stubEngine = '/bin/false'; // any existing executable will do

if (!existsSync(prisma)) {
  console.error(`prisma CLI not found at ${prisma}; run npm install first`);
  process.exit(1);
}

const result = spawnSync(prisma, ['generate'], {
  cwd: root,
  encoding: 'utf8',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: stubEngine,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  },
});

if (result.status !== 0) {
  process.stderr.write(result.stdout ?? '');
  process.stderr.write(result.stderr ?? '');
  if (result.error) console.error(result.error.message);
  console.error(`prisma generate failed (exit ${result.status ?? result.signal})`);
  process.exit(result.status || 1);
}

console.log('Prisma client generated in packages/db/src/generated');
