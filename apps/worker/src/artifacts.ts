import { createWriteStream, mkdirSync } from 'node:fs';
import { mkdir, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import yazl from 'yazl';
import { safeRelativePath, type OutputWriter } from '@genq/generators';

export interface ZippedResult {
  /** Relative to the artifacts directory. */
  path: string;
  size: bigint;
  files: number;
}

/**
 * Layout under GENQ_ARTIFACTS_DIR: `<jobId>/staging/` holds the files of the attempt in
 * progress; `<jobId>/result.zip` appears (by rename, so atomically) when the job completes.
 * Each attempt starts from an empty staging folder, so a re-run never adds files twice.
 *
 * A job with a target also publishes its files as the target's current set:
 * `targets/<target>/versions/<jobId>/` plus a `current` symlink swapped by rename, so a
 * reader following `targets/<target>/current` sees the old set or the new one, never a mix.
 */
export function createArtifactStore(rootDir: string) {
  const jobDir = (jobId: string): string => path.join(rootDir, jobId);
  const stagingDir = (jobId: string): string => path.join(jobDir(jobId), 'staging');

  return {
    async prepareAttempt(jobId: string): Promise<OutputWriter> {
      const dir = stagingDir(jobId);
      // A job seen for the first time gets a new, empty folder: nothing to clear. Only a job
      // seen before (retry, hand-back) may hold a previous attempt's files. The staging folder
      // itself appears with the first file written (the output writer creates folders).
      try {
        await mkdir(jobDir(jobId));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') await mkdir(jobDir(jobId), { recursive: true });
        else if (code === 'EEXIST') await rm(dir, { recursive: true, force: true });
        else throw error;
      }
      return createOutputWriter(dir);
    },

    /** Zips the staging folder into result.zip (and publishes it to `target` if given). */
    async zipResult(jobId: string, target?: string | null): Promise<ZippedResult> {
      const dir = target ? await publishToTarget(jobId, target) : stagingDir(jobId);
      // No staging folder: the generator wrote nothing (the result is an empty ZIP).
      const files = await listFiles(dir).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return null;
        throw error;
      });
      const zip = new yazl.ZipFile();
      for (const file of files ?? []) {
        zip.addFile(path.join(dir, file), file, { compressionLevel: 6 });
      }
      zip.end();
      const relative = path.join(jobId, 'result.zip');
      const zipPath = path.join(rootDir, relative);
      const temporary = `${zipPath}.partial`;
      const out = createWriteStream(temporary);
      // yazl deflates with node:zlib, whose work runs off the event loop.
      await pipeline(zip.outputStream, out);
      await rename(temporary, zipPath);
      if (files && !target) await rm(stagingDir(jobId), { recursive: true, force: true });
      return { path: relative, size: BigInt(out.bytesWritten), files: files?.length ?? 0 };
    },

    async removeJob(jobId: string): Promise<void> {
      await rm(jobDir(jobId), { recursive: true, force: true });
    },

    /** Where a target's current files are, for readers. */
    targetCurrentDir: (target: string): string =>
      path.join(rootDir, 'targets', safeRelativePath(target), 'current'),
  };

  /** Moves the staging folder in as the target's newest version and swaps `current` to it. */
  async function publishToTarget(jobId: string, target: string): Promise<string> {
    const base = path.join(rootDir, 'targets', safeRelativePath(target));
    const versions = path.join(base, 'versions');
    const version = path.join(versions, jobId);
    await mkdir(versions, { recursive: true });
    await mkdir(stagingDir(jobId), { recursive: true });
    await rm(version, { recursive: true, force: true });
    await rename(stagingDir(jobId), version);
    const link = path.join(base, 'current');
    const nextLink = `${link}.${jobId}.tmp`;
    await rm(nextLink, { force: true });
    await symlink(path.join('versions', jobId), nextLink);
    await rename(nextLink, link);
    // Keep the version just replaced for readers still inside it; drop older ones.
    const previous = (await readdir(versions)).filter((name) => name !== jobId).sort();
    for (const old of previous.slice(0, -1)) {
      await rm(path.join(versions, old), { recursive: true, force: true });
    }
    return version;
  }
}

export type ArtifactStore = ReturnType<typeof createArtifactStore>;

function createOutputWriter(dir: string): OutputWriter {
  const resolve = async (name: string): Promise<string> => {
    const file = path.join(dir, safeRelativePath(name));
    await mkdir(path.dirname(file), { recursive: true });
    return file;
  };
  return {
    createStream(name: string): Writable {
      const file = path.join(dir, safeRelativePath(name));
      // The API of createStream is synchronous; creating a folder is rare and quick.
      mkdirSync(path.dirname(file), { recursive: true });
      // 'wx': a name used twice is an error, never a silent overwrite.
      return createWriteStream(file, { flags: 'wx' });
    },
    async writeFile(name, data) {
      await writeFile(await resolve(name), data, { flag: 'wx' });
    },
  };
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(path.join(dir, prefix), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listFiles(dir, relative)));
    else if (entry.isFile()) files.push(relative);
  }
  return files;
}
