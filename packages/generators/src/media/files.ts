import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setImmediate as immediate } from 'node:timers/promises';
import type { OutputWriter } from '../generator.ts';

export interface MediaType {
  mime: string;
  extension: string;
}

/** Recognises a media file by its first bytes; undefined when it is none of these. */
export function sniffMedia(bytes: Uint8Array): MediaType | undefined {
  const at = (i: number) => bytes[i] ?? -1;
  const ascii = (start: number, text: string) =>
    [...text].every((c, i) => at(start + i) === c.charCodeAt(0));
  if (ascii(0, '\x89PNG\r\n\x1a\n')) return { mime: 'image/png', extension: 'png' };
  if (at(0) === 0xff && at(1) === 0xd8 && at(2) === 0xff) {
    return { mime: 'image/jpeg', extension: 'jpg' };
  }
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return { mime: 'image/webp', extension: 'webp' };
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return { mime: 'image/gif', extension: 'gif' };
  if (ascii(0, 'RIFF') && ascii(8, 'WAVE')) return { mime: 'audio/wav', extension: 'wav' };
  if (ascii(0, 'fLaC')) return { mime: 'audio/flac', extension: 'flac' };
  if (ascii(0, 'OggS')) return { mime: 'audio/ogg', extension: 'ogg' };
  if (ascii(0, 'ID3') || (at(0) === 0xff && (at(1) & 0xe0) === 0xe0)) {
    return { mime: 'audio/mpeg', extension: 'mp3' };
  }
  if (ascii(4, 'ftyp')) return { mime: 'audio/mp4', extension: 'm4a' };
  return undefined;
}

export interface DataUri {
  mime: string;
  bytes: Uint8Array;
}

/** Decodes a `data:` URI (base64 or percent-encoded); undefined when `text` is not one. */
export function decodeDataUri(text: string): DataUri | undefined {
  const match = /^data:([^,]*?),(.*)$/s.exec(text);
  if (!match) return undefined;
  const params = (match[1] ?? '').split(';');
  const base64 = params.at(-1)?.toLowerCase() === 'base64';
  const mime = (params[0] ?? '').trim().toLowerCase() || 'application/octet-stream';
  const payload = match[2] ?? '';
  const bytes = base64
    ? Buffer.from(payload, 'base64')
    : Buffer.from(decodeURIComponent(payload), 'latin1');
  return { mime, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

/** Decoded size of a base64 text, without decoding it. */
export function base64Bytes(text: string): number {
  const clean = text.replace(/\s+/g, '');
  const padding = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  return Math.floor((clean.length * 3) / 4) - padding;
}

/** Writes one result file, whole or streamed from an iterable; stops when `signal` aborts. */
export async function writeMediaFile(
  output: OutputWriter,
  name: string,
  data: Uint8Array | AsyncIterable<Uint8Array>,
  signal: AbortSignal,
): Promise<number> {
  signal.throwIfAborted();
  if (data instanceof Uint8Array) {
    await output.writeFile(name, data);
    return data.byteLength;
  }
  const chunks: AsyncIterable<Uint8Array> = data;
  let bytes = 0;
  async function* counted() {
    for await (const chunk of chunks) {
      bytes += chunk.byteLength;
      yield chunk;
    }
  }
  await pipeline(Readable.from(counted()), output.createStream(name), { signal });
  return bytes;
}

/** Lets other work run (timers, I/O, lock renewals) between slices of CPU work. */
export function yieldToEventLoop(): Promise<void> {
  return immediate();
}

/**
 * Decides when a loop of CPU work should yield: after `sliceMs` of work since the last
 * yield. Keeps the event loop free within about that time.
 */
export function createYielder(sliceMs = 15): () => Promise<void> | undefined {
  let since = performance.now();
  return () => {
    const now = performance.now();
    if (now - since < sliceMs) return undefined;
    return yieldToEventLoop().then(() => {
      since = performance.now();
    });
  };
}
