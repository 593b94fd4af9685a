import { createWriteStream, mkdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { safeRelativePath, type OutputWriter } from '@genq/generators';

/** An attempt wrote more than its limits allow; it fails with `output_limit`. */
export class OutputLimitError extends Error {
  readonly code = 'output_limit';
  constructor(message: string) {
    super(message);
    this.name = 'OutputLimitError';
  }
}

export interface OutputBudget {
  maxBytes: number;
  maxFiles: number;
}

/** A writer that counts what it writes against the budget, as it writes. */
export interface CountedOutputWriter extends OutputWriter {
  /** Files created and bytes written so far. */
  written(): { files: number; bytes: number };
  /** The first breach of the budget, if any: the attempt fails with it whatever it returns. */
  breach(): OutputLimitError | null;
}

/**
 * Writes under `dir`, creating folders as needed. Bytes and files are counted as they are
 * written, so a generator that writes without end is stopped at the budget, not after the
 * disk is full: the write that crosses it fails, and so does every later one.
 */
export function createOutputWriter(
  dir: string,
  budget: OutputBudget,
  /** Told of the breach as it happens (before the generator may crash on the error). */
  onBreach: (breach: OutputLimitError) => void = () => undefined,
): CountedOutputWriter {
  let files = 0;
  let bytes = 0;
  let breached: OutputLimitError | null = null;

  const addFile = (): void => {
    if (breached) throw breached;
    if (files + 1 > budget.maxFiles) {
      breached = new OutputLimitError(`the result may hold at most ${budget.maxFiles} files`);
      onBreach(breached);
      throw breached;
    }
    files += 1;
  };
  const addBytes = (count: number): void => {
    if (breached) throw breached;
    if (bytes + count > budget.maxBytes) {
      breached = new OutputLimitError(`the result may hold at most ${budget.maxBytes} bytes`);
      onBreach(breached);
      throw breached;
    }
    bytes += count;
  };

  return {
    createStream(name: string): Writable {
      const file = path.join(dir, safeRelativePath(name));
      addFile();
      // The API of createStream is synchronous; creating a folder is rare and quick.
      mkdirSync(path.dirname(file), { recursive: true });
      // 'wx': a name used twice is an error, never a silent overwrite.
      const out = createWriteStream(file, { flags: 'wx' });
      // The stream the generator gets finishes only once the file has all its bytes, so the
      // result is zipped whole.
      const counted: Writable = new Writable({
        write(chunk: Buffer, _encoding, done) {
          try {
            addBytes(chunk.length);
          } catch (error) {
            done(error as Error);
            return;
          }
          out.write(chunk, done);
        },
        final(done) {
          out.end(done);
        },
        destroy(error, done) {
          out.destroy();
          done(error);
        },
      });
      out.on('error', (error) => counted.destroy(error));
      return counted;
    },
    async writeFile(name, data) {
      const file = path.join(dir, safeRelativePath(name));
      addFile();
      addBytes(typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, data, { flag: 'wx' });
    },
    written: () => ({ files, bytes }),
    breach: () => breached,
  };
}
