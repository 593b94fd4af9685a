import { createWriteStream } from 'node:fs';
import { access, mkdir, readdir, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { EMPTY_ZIP } from '@genq/core';
import { safeRelativePath } from '@genq/generators';

export interface ZippedResult {
  /** Relative to the artifacts directory; null for an empty result (no file on disk). */
  path: string | null;
  size: bigint;
  files: number;
}

/** One attempt's output: where the generator writes, and how its files become the result. */
export interface AttemptOutput {
  /** The attempt's staging folder (it appears with the first file written). */
  dir: string;
  /** Zips what was written into result.zip (and publishes it to `target` if given). */
  zipResult(target?: string | null): Promise<ZippedResult>;
}

/** A job that wrote nothing has no file on disk: the API serves EMPTY_ZIP for it. */
const EMPTY_RESULT: ZippedResult = { path: null, size: BigInt(EMPTY_ZIP.length), files: 0 };

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
    /**
     * Starts an attempt. Only a job that ran before (`attempt` > 1: a crash or a failed
     * attempt) may hold an earlier attempt's files, so only then is the staging folder
     * cleared; a job handed back clears its own (`removeJob`). The staging folder appears
     * with the first file written.
     */
    async prepareAttempt(jobId: string, attempt: number): Promise<AttemptOutput> {
      const dir = stagingDir(jobId);
      if (attempt > 1) await rm(dir, { recursive: true, force: true });
      return {
        dir,
        // Nothing written and no target to publish to: no file work at all.
        zipResult: async (target) =>
          !target && !(await exists(dir)) ? EMPTY_RESULT : zipResult(jobId, target),
      };
    },

    async removeJob(jobId: string): Promise<void> {
      await rm(jobDir(jobId), { recursive: true, force: true });
    },

    /** Where a target's current files are, for readers. */
    targetCurrentDir: (target: string): string =>
      path.join(rootDir, 'targets', safeRelativePath(target), 'current'),
  };

  async function zipResult(jobId: string, target?: string | null): Promise<ZippedResult> {
    const dir = target ? await publishToTarget(jobId, target) : stagingDir(jobId);
    const files = await listFiles(dir);
    const zip = new yazl.ZipFile();
    for (const file of files) {
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
    if (!target) await rm(stagingDir(jobId), { recursive: true, force: true });
    return { path: relative, size: BigInt(out.bytesWritten), files: files.length };
  }

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

async function exists(dir: string): Promise<boolean> {
  return access(dir).then(
    () => true,
    () => false,
  );
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
