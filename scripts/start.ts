// `npm start`: everything a newcomer needs on one machine. Makes sure Redis and PostgreSQL
// run, migrates the database, then starts one API and one worker process and prints the URL.
// Ctrl-C stops both gracefully (a second Ctrl-C stops them at once).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildServices, serviceBundle, type Service } from './build-services.ts';
import { ensureDevCredentials } from './dev-credentials.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const port = process.env.PORT ?? '3000';
const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/genq';
const env: NodeJS.ProcessEnv = { ...process.env, PORT: port };

const services = spawnSync('bash', [path.join(root, 'scripts/ensure-services.sh')], {
  stdio: 'inherit',
});
if (services.status !== 0) process.exit(services.status ?? 1);

const migrate = spawnSync(tsx, [path.join(root, 'scripts/db-migrate.ts')], {
  stdio: 'inherit',
  env,
});
if (migrate.status !== 0) {
  console.error('genq: database migration failed (see above)');
  process.exit(migrate.status ?? 1);
}

// The API and the worker run as bundles, as in production (scripts/build-services.ts).
buildServices();

const credentials = await ensureDevCredentials(root, databaseUrl);
env.GENQ_ADMIN_KEY = credentials.adminKey;

const children: ChildProcess[] = [];
const start = (name: Service): void => {
  // Own process group: a terminal's Ctrl-C reaches only this script, which forwards it
  // once (the processes treat a second signal as "exit now").
  const child = spawn(process.execPath, [serviceBundle(name)], {
    stdio: 'inherit',
    env,
    detached: true,
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`genq: the ${name} process exited (${signal ?? code}); stopping`);
      stop('SIGTERM');
    }
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null))
      process.exit(code ?? 0);
  });
  children.push(child);
};

let stopping = false;
function stop(signal: NodeJS.Signals): void {
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill(signal);
}
let signals = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  signals += 1;
  stop(signals > 1 ? 'SIGKILL' : signal);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('exit', () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

start('api');
start('worker');

const url = `http://127.0.0.1:${port}`;
for (let i = 0; i < 100; i += 1) {
  try {
    if ((await fetch(`${url}/health`)).ok) break;
  } catch {
    // not listening yet
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
}
console.log(`
  genq is running: ${url}
  Dashboard:  ${url}/        API docs: ${url}/api/v1/docs
  Your development API key (client "dev", premium tier; also in var/dev-api-key):

    export GENQ_API_KEY=${credentials.apiKey}

  Admin key (manages clients and keys; in var/dev-admin-key): GENQ_ADMIN_KEY=${credentials.adminKey}
  Stop: Ctrl-C
`);
