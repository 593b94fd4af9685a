import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import yauzl from 'yauzl';
import type { ApiClient } from './api-client.ts';
import { CliError, EXIT } from './errors.ts';

/**
 * Extracts a ZIP into `destDir`, refusing entries that would land outside it (yauzl already
 * rejects absolute paths and `..`; the resolved path is checked again here).
 * Returns the files written, relative to `destDir`.
 */
export async function extractZip(zipPath: string, destDir: string): Promise<string[]> {
  const root = path.resolve(destDir);
  await mkdir(root, { recursive: true });
  const zip = await yauzl.openPromise(zipPath, { lazyEntries: true, autoClose: true });
  const files: string[] = [];
  try {
    for await (const entry of zip.eachEntry()) {
      const target = path.resolve(root, entry.fileName);
      if (target !== root && !target.startsWith(root + path.sep)) {
        throw new Error(`unsafe path in ZIP: ${entry.fileName}`);
      }
      if (entry.fileName.endsWith('/')) {
        await mkdir(target, { recursive: true });
        continue;
      }
      await mkdir(path.dirname(target), { recursive: true });
      const stream = await zip.openReadStreamPromise(entry);
      await pipeline(stream, createWriteStream(target));
      files.push(entry.fileName);
    }
  } finally {
    zip.close();
  }
  return files;
}

/** The filename a Content-Disposition header suggests, made safe for a local path. */
export function dispositionName(header: string | null): string | null {
  if (!header) return null;
  const star = /filename\*=(?:UTF-8'')?([^;]+)/i.exec(header)?.[1];
  const plain = /filename="?([^";]+)"?/i.exec(header)?.[1];
  let name = star ? decodeURIComponent(star.trim()) : plain?.trim();
  if (!name) return null;
  name = path.basename(name.replace(/\\/g, '/'));
  return name && name !== '.' && name !== '..' ? name : null;
}

/**
 * Streams a result ZIP to `file` (through a temporary name, so a partial download never
 * looks complete). Returns the name the server suggested.
 */
export async function downloadFile(
  client: ApiClient,
  urlPath: string,
  file: string,
): Promise<{ suggestedName: string | null; bytes: number }> {
  const response = await client.stream('GET', urlPath);
  if (!response.body)
    throw new CliError(`GET ${urlPath} answered without a body`, EXIT.SERVER, 'bad_response');
  const partial = `${file}.partial-${process.pid}`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await pipeline(
      Readable.fromWeb(response.body as WebReadableStream),
      createWriteStream(partial),
    );
    await rename(partial, file);
  } catch (error) {
    await rm(partial, { force: true });
    if (error instanceof CliError) throw error;
    throw new CliError(
      `downloading ${urlPath} failed: ${(error as Error).message}`,
      EXIT.SERVER,
      'download_failed',
    );
  }
  const { size } = await stat(file);
  return {
    suggestedName: dispositionName(response.headers.get('content-disposition')),
    bytes: size,
  };
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/**
 * Downloads a completed job's ZIP and extracts it into `<outDir>/<jobId>/`. The folder
 * appears whole or not at all (extracted under a temporary name, then renamed), so a folder
 * left by an earlier run is kept as is (`skipped`).
 */
export async function downloadAndExtract(
  client: ApiClient,
  jobId: string,
  outDir: string,
): Promise<{ dir: string; files: string[]; skipped: boolean }> {
  const dir = path.join(outDir, jobId);
  if (await exists(dir)) return { dir, files: [], skipped: true };
  const zipFile = path.join(outDir, `.${jobId}.zip`);
  const staging = path.join(outDir, `.${jobId}.extracting-${process.pid}`);
  try {
    await downloadFile(client, `/api/v1/jobs/${encodeURIComponent(jobId)}/result`, zipFile);
    await rm(staging, { recursive: true, force: true });
    const files = await extractZip(zipFile, staging);
    await rename(staging, dir);
    return { dir, files, skipped: false };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if (error instanceof CliError) throw error;
    throw new CliError(
      `extracting the result of job ${jobId} failed: ${(error as Error).message}`,
      EXIT.SERVER,
      'extract_failed',
    );
  } finally {
    await rm(zipFile, { force: true });
  }
}
