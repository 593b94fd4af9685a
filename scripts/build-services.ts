// Bundles the API and the worker into one ES module each, `apps/<app>/dist/main.mjs`, which is
// what runs in production, in `npm start` and in the tests that start real processes.
//
// Why a bundle rather than running the TypeScript through tsx: tsx's loader runs on a thread
// of its own with a second V8 heap, about 45 MB of resident memory in every API and worker
// process, and it transpiles on each start. genq's own packages are bundled; everything from
// node_modules stays an import (resolved from the repository's node_modules as before).
//
// Each file is written beside its final name and renamed over it, so a process starting while
// a build runs (two test workers build at once) reads the old bundle or the new one, whole.
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const SERVICES = ['api', 'worker'] as const;
export type Service = (typeof SERVICES)[number];

/** Where the bundle of `service` is written. */
export const serviceBundle = (service: Service): string =>
  path.join(root, 'apps', service, 'dist', 'main.mjs');

/** genq's workspace packages by import name, each to its source entry: those are bundled. */
function workspacePackages(): Record<string, string> {
  return Object.fromEntries(
    readdirSync(path.join(root, 'packages')).map((name) => [
      `@genq/${name}`,
      `./packages/${name}/src/index.ts`,
    ]),
  );
}

export function buildServices(): void {
  const result = buildSync({
    entryPoints: [
      ...SERVICES.map((service) => path.join(root, 'apps', service, 'src', 'main.ts')),
      // The entry of the worker's execution threads (apps/worker/src/execution).
      path.join(root, 'apps', 'worker', 'src', 'execution-thread.ts'),
    ],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // dist/ sits beside src/, so paths relative to the entry file (../package.json, the
    // dashboard's folder) mean the same from the bundle.
    outbase: path.join(root, 'apps'),
    outdir: path.join(root, 'apps'),
    entryNames: '[dir]/../dist/[name]',
    outExtension: { '.js': '.mjs' },
    sourcemap: 'linked',
    absWorkingDir: root,
    // Bare imports (node_modules) stay imports; @genq/* are aliased to paths, so bundled.
    packages: 'external',
    alias: workspacePackages(),
    write: false,
    logLevel: 'warning',
  });
  const token = `${process.pid}-${Date.now()}`;
  for (const file of result.outputFiles) {
    mkdirSync(path.dirname(file.path), { recursive: true });
    const temporary = `${file.path}.${token}.tmp`;
    writeFileSync(temporary, file.contents);
    renameSync(temporary, file.path);
  }
}

// `tsx scripts/build-services.ts` (npm run build:services)
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  buildServices();
  console.log(
    `built ${SERVICES.map((s) => path.relative(root, serviceBundle(s))).join(', ')} in ${Date.now() - started} ms`,
  );
}
