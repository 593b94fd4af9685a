import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';

/**
 * Lets the next chunk be generated while the previous one is still being written (a file
 * stream's own 16 KB mark would make generation wait for every write), yet bounds memory.
 */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * Writes text and bytes to an output stream honouring backpressure: once more than a few MB wait in
 * the stream's buffer, waits for 'drain' (or the abort signal, or a stream error). Memory
 * stays at a few chunks whatever the row count.
 */
export class OutputSink {
  private failure: Error | undefined;

  constructor(
    private readonly stream: Writable,
    private readonly signal: AbortSignal,
  ) {
    // Listening at once: an 'error' with no listener would crash the process.
    stream.on('error', (error: Error) => {
      this.failure ??= error;
    });
  }

  async write(data: string | Uint8Array): Promise<void> {
    if (this.failure) throw this.failure;
    if (
      data.length === 0 ||
      this.stream.write(data) ||
      this.stream.writableLength < MAX_BUFFERED_BYTES
    )
      return;
    await this.drain();
  }

  async end(): Promise<void> {
    if (this.failure) throw this.failure;
    this.stream.end();
    await finished(this.stream);
  }

  /** Releases the stream after a failure or a cancel; what was written is incomplete. */
  destroy(): void {
    if (!this.stream.destroyed) this.stream.destroy();
  }

  private drain(): Promise<void> {
    const { stream, signal } = this;
    return new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        stream.off('drain', onDrain);
        stream.off('error', onError);
        stream.off('close', onClose);
        signal.removeEventListener('abort', onAbort);
      };
      const onDrain = (): void => {
        cleanup();
        resolve();
      };
      const onError = (error: Error): void => {
        cleanup();
        reject(error);
      };
      const onClose = (): void => {
        cleanup();
        reject(this.failure ?? new Error('output stream closed before the file was complete'));
      };
      const onAbort = (): void => {
        cleanup();
        reject(signal.reason);
      };
      if (signal.aborted) return onAbort();
      stream.on('drain', onDrain);
      stream.on('error', onError);
      stream.on('close', onClose);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
