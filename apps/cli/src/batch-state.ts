import { readFileSync, unlinkSync } from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from './errors.ts';
import type { RequestLine } from './input.ts';
import type { JobRequest } from './types.ts';

/** A batch the API accepted: which lines it covers and the job created for each. */
export interface StateBatch {
  batch_id: string;
  lines: number[];
  job_ids: string[];
  /** Request hash per line, to notice a file edited between runs. */
  hashes: string[];
  accepted_at: string;
}

/**
 * The batch being sent. Written before the request goes out, cleared when the answer is
 * recorded: if the process dies in between, the next run knows that this batch may have
 * been accepted and looks for it before sending anything.
 */
export interface PendingBatch {
  idempotency_key: string;
  lines: number[];
  hashes: string[];
  /** The requests as sent, to recognise the batch on the server even if the file changed. */
  requests: JobRequest[];
  sent_at: string;
}

export interface StateDocument {
  version: 1;
  /** Absolute path of the request file. */
  input: string;
  batches: StateBatch[];
  pending: PendingBatch | null;
  updated_at: string;
}

/** Default state file of a request file: next to it. */
export function defaultStatePath(inputPath: string): string {
  return `${inputPath}.genq-state.json`;
}

/**
 * What a batch file run has submitted, per line, kept in a JSON file rewritten atomically
 * (temporary file, fsync, rename) after every accepted batch, so a run that stops at any
 * moment is resumed without submitting a line twice. A lock file keeps two runs apart.
 */
export class BatchState {
  private readonly byLine = new Map<number, { jobId: string; batchId: string; hash: string }>();
  private lockPath: string | null = null;

  private constructor(
    readonly file: string,
    private doc: StateDocument,
  ) {
    for (const batch of doc.batches) this.index(batch);
  }

  static async open(file: string, inputPath: string): Promise<BatchState> {
    let text: string | null = null;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw usageError(`cannot read state file ${file}: ${(error as Error).message}`);
      }
    }
    if (text === null) {
      return new BatchState(file, {
        version: 1,
        input: path.resolve(inputPath),
        batches: [],
        pending: null,
        updated_at: new Date().toISOString(),
      });
    }
    let doc: StateDocument;
    try {
      doc = JSON.parse(text) as StateDocument;
    } catch (error) {
      throw usageError(`state file ${file} is not valid JSON (${(error as Error).message})`);
    }
    if (doc?.version !== 1 || !Array.isArray(doc.batches)) {
      throw usageError(`${file} is not a genq batch state file`);
    }
    doc.pending ??= null;
    return new BatchState(file, doc);
  }

  get batches(): readonly StateBatch[] {
    return this.doc.batches;
  }

  get pending(): PendingBatch | null {
    return this.doc.pending;
  }

  get input(): string {
    return this.doc.input;
  }

  jobFor(line: number): string | undefined {
    return this.byLine.get(line)?.jobId;
  }

  /** Line number of each job this state knows. */
  lineOfJob(): Map<string, number> {
    const map = new Map<string, number>();
    for (const [line, entry] of this.byLine) map.set(entry.jobId, line);
    return map;
  }

  get submittedCount(): number {
    return this.byLine.size;
  }

  /**
   * Refuses a request file whose recorded lines changed since they were submitted
   * (appending lines is fine), or that lost lines.
   */
  verify(lines: RequestLine[]): void {
    const current = new Map(lines.map((l) => [l.line, l.hash]));
    const problems: { path: string; message: string }[] = [];
    for (const [line, entry] of this.byLine) {
      const hash = current.get(line);
      if (hash === undefined)
        problems.push({
          path: `line ${line}`,
          message: 'was submitted but is no longer in the file',
        });
      else if (hash !== entry.hash)
        problems.push({ path: `line ${line}`, message: 'changed since it was submitted' });
    }
    if (problems.length > 0) {
      throw usageError(
        `the request file does not match its state file ${this.file}; ` +
          'restore the file, or pass another --state to submit it as new work',
        problems,
      );
    }
  }

  async setPending(pending: PendingBatch | null): Promise<void> {
    this.doc.pending = pending;
    await this.save();
  }

  /** Records an accepted batch and the next pending one (if any) in one write. */
  async recordBatch(batch: StateBatch, nextPending: PendingBatch | null): Promise<void> {
    this.doc.batches.push(batch);
    this.index(batch);
    this.doc.pending = nextPending;
    await this.save();
  }

  private index(batch: StateBatch): void {
    batch.lines.forEach((line, i) => {
      this.byLine.set(line, {
        jobId: batch.job_ids[i] as string,
        batchId: batch.batch_id,
        hash: batch.hashes[i] as string,
      });
    });
  }

  private async save(): Promise<void> {
    this.doc.updated_at = new Date().toISOString();
    const tmp = `${this.file}.tmp-${process.pid}`;
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(`${JSON.stringify(this.doc)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.file);
    // Makes the rename itself durable; not every platform allows syncing a directory.
    try {
      const dir = await open(path.dirname(path.resolve(this.file)), 'r');
      await dir.sync().finally(() => dir.close());
    } catch {
      // best effort
    }
  }

  /** Takes `<state>.lock`, or refuses when another live run holds it. */
  async lock(): Promise<void> {
    const lockPath = `${this.file}.lock`;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const handle = await open(lockPath, 'wx');
        await handle.writeFile(String(process.pid));
        await handle.close();
        this.lockPath = lockPath;
        process.once('exit', () => this.unlockSync());
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw usageError(`cannot create lock file ${lockPath}: ${(error as Error).message}`);
        }
      }
      const holder = Number(readFileSync(lockPath, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw usageError(
          `another genq (pid ${holder}) is submitting with state file ${this.file}; ` +
            `wait for it, or remove ${lockPath} if it is gone`,
        );
      }
      // Left behind by a run that died: take it over.
      await unlink(lockPath).catch(() => undefined);
    }
    throw usageError(`cannot lock ${this.file}`);
  }

  unlockSync(): void {
    if (!this.lockPath) return;
    try {
      unlinkSync(this.lockPath);
    } catch {
      // already gone
    }
    this.lockPath = null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
