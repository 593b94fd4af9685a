// Builds the dashboard into dist/: index.html plus content-hashed assets (JS, CSS, icon),
// each with a gzip copy the API serves to browsers that accept it. Runs in well under a
// second, so `npm install` (postinstall), `npm start` and the browser tests all rebuild it.
import { readdir, readFile, rename, rm, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const clientDir = path.join(here, 'client');

/** Where the built dashboard lands; the API serves this folder at `/`. */
export const dashboardDistDir = path.resolve(here, '../dist');

export interface DashboardBuild {
  outdir: string;
  /** Asset file names (under `assets/`), e.g. `app-4F2K3Q.js`. */
  files: { js: string; css: string; icon: string };
  /** Bytes of each asset as built and gzipped. */
  sizes: Record<string, { bytes: number; gzip: number }>;
}

export async function buildDashboard(
  options: { outdir?: string; minify?: boolean } = {},
): Promise<DashboardBuild> {
  const outdir = options.outdir ?? dashboardDistDir;
  const assetsDir = path.join(outdir, 'assets');
  await mkdir(assetsDir, { recursive: true });

  const result = await build({
    entryPoints: { app: path.join(clientDir, 'main.ts') },
    bundle: true,
    format: 'esm',
    // Browsers of the last few years; nothing here needs a polyfill.
    target: ['chrome109', 'firefox115', 'safari16', 'edge109'],
    minify: options.minify ?? true,
    sourcemap: 'linked',
    legalComments: 'none',
    outdir: assetsDir,
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    loader: { '.svg': 'file' },
    publicPath: '/assets',
    metafile: true,
    write: true,
    logLevel: 'silent',
  });

  const outputs = Object.keys(result.metafile.outputs).map((file) => path.basename(file));
  const pick = (pattern: RegExp): string => {
    const found = outputs.find((name) => pattern.test(name));
    if (!found) throw new Error(`dashboard build produced no ${pattern}`);
    return found;
  };
  const files = {
    js: pick(/^app-[\w]+\.js$/),
    css: pick(/^app-[\w]+\.css$/),
    icon: pick(/^favicon-[\w]+\.svg$/),
  };

  const sizes: DashboardBuild['sizes'] = {};
  for (const name of Object.values(files)) {
    const bytes = await readFile(path.join(assetsDir, name));
    const gzip = gzipSync(bytes, { level: 9 });
    await writeFile(path.join(assetsDir, `${name}.gz`), gzip);
    sizes[name] = { bytes: bytes.length, gzip: gzip.length };
  }

  const template = await readFile(path.join(clientDir, 'index.html'), 'utf8');
  const html = template
    .replaceAll('%APP_JS%', `/assets/${files.js}`)
    .replaceAll('%APP_CSS%', `/assets/${files.css}`)
    .replaceAll('%ICON%', `/assets/${files.icon}`);
  // index.html last and atomically: a running API never serves a page whose assets are missing.
  const temporary = path.join(outdir, `.index.html.${process.pid}`);
  await writeFile(temporary, html);
  await rename(temporary, path.join(outdir, 'index.html'));

  // Assets of earlier builds are no longer referenced.
  const keep = new Set(outputs.flatMap((name) => [name, `${name}.gz`]));
  for (const name of await readdir(assetsDir)) {
    if (!keep.has(name)) await rm(path.join(assetsDir, name), { force: true });
  }
  return { outdir, files, sizes };
}

// `tsx apps/dashboard/src/build.ts` (npm run build:dashboard)
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const built = await buildDashboard({ minify: !process.argv.includes('--no-minify') });
  const summary = Object.entries(built.sizes)
    .map(
      ([name, s]) =>
        `${name} ${(s.bytes / 1024).toFixed(1)} KiB (${(s.gzip / 1024).toFixed(1)} KiB gzip)`,
    )
    .join(', ');
  console.log(
    `dashboard built in ${Date.now() - started} ms → ${path.relative(process.cwd(), built.outdir) || '.'}: ${summary}`,
  );
}
