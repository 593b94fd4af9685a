import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import yazl from 'yazl';

/** A completed job whose result ZIP goes into the batch archive. */
export interface ArchiveMember {
  jobId: string;
  /** Absolute path of the job's result.zip. */
  file: string;
}

/** A member whose file list has been read. */
export interface ListedMember extends ArchiveMember {
  entries: yauzl.Entry[];
}

/**
 * Reads the file list of a result ZIP (its central directory only, no file data).
 * Directory entries are left out: the archive recreates folders from file paths.
 */
export async function listResultZip(member: ArchiveMember): Promise<ListedMember> {
  const zip = await yauzl.openPromise(member.file, { autoClose: false });
  try {
    const entries: yauzl.Entry[] = [];
    for await (const entry of zip.eachEntry()) {
      if (!entry.fileName.endsWith('/')) entries.push(entry);
    }
    return { ...member, entries };
  } finally {
    zip.close();
  }
}

/**
 * One ZIP holding `manifest.json` and every member's files under `<jobId>/`, produced as a
 * stream: each file is inflated from its job's ZIP and deflated again (yazl, node:zlib, off
 * the event loop) as the reader consumes the output, so memory stays flat whatever the size.
 * A member's ZIP is opened when its first file is reached and closed after its last, so at
 * most one is open at a time. Destroying the returned stream stops everything and closes it.
 */
export function streamBatchArchive(
  manifest: unknown,
  members: ListedMember[],
  onError: (error: Error) => void,
): Readable {
  const zip = new yazl.ZipFile();
  const output = zip.outputStream as Readable;
  let open: yauzl.ZipFile | null = null;
  let reading: Readable | null = null;

  zip.addBuffer(Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), 'manifest.json');
  for (const member of members) {
    let source: Promise<yauzl.ZipFile> | null = null;
    member.entries.forEach((entry, index) => {
      const last = index === member.entries.length - 1;
      zip.addReadStreamLazy(
        `${member.jobId}/${entry.fileName}`,
        {
          mtime: entry.getLastModDate(),
          compress: entry.compressionMethod !== 0,
          size: entry.uncompressedSize,
        },
        (callback) => {
          // Entries were listed from an earlier handle; they only carry offsets into the
          // same (immutable) file, which a new handle reads just as well.
          source ??= yauzl.openPromise(member.file, { autoClose: false }).then((handle) => {
            open = handle;
            return handle;
          });
          source
            .then(async (handle) => {
              const stream = await handle.openReadStreamPromise(entry);
              reading = stream;
              // The open stream keeps the file open until it ends; release our handle now.
              if (last) {
                handle.close();
                open = null;
              }
              callback(null, stream);
            })
            .catch((error: unknown) => callback(error, undefined as unknown as Readable));
        },
      );
    });
  }
  zip.end();

  const release = (): void => {
    reading?.destroy();
    reading = null;
    (open as yauzl.ZipFile | null)?.close();
    open = null;
  };
  zip.on('error', (error: Error) => {
    onError(error);
    output.destroy(error);
  });
  output.once('close', release);
  return output;
}
