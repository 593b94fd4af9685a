import { UnrecoverableGenerationError } from '@genq/core';
import type { ProviderClient, RetryInfo } from '../providers/http-client.ts';
import { decodeDataUri, sniffMedia, type MediaType } from './files.ts';

export interface FetchedMedia extends MediaType {
  bytes: Uint8Array;
  /** `data-uri` or the host it was downloaded from. */
  source: string;
  /** Attempts the download took (0 for a data URI). */
  attempts: number;
}

export interface FetchMediaOptions {
  /** `image` or `audio`: the kind of file expected. */
  kind: 'image' | 'audio';
  signal: AbortSignal;
  maxBytes?: number;
  onRetry?: (info: RetryInfo) => void;
  /** Names the file in errors, e.g. "output 2". */
  label: string;
}

/**
 * A model's output file, given as a data URI or a URL (absolute, or relative to the
 * provider's base URL): downloaded through the provider client (retries, timeouts,
 * cancellation) and recognised by its bytes. Anything that is not the expected kind of
 * media fails the job without retries.
 */
export async function fetchMediaOutput(
  client: ProviderClient,
  ref: string,
  options: FetchMediaOptions,
): Promise<FetchedMedia> {
  const inline = decodeDataUri(ref);
  let bytes: Uint8Array;
  let declared: string;
  let source: string;
  let attempts = 0;
  if (inline) {
    bytes = inline.bytes;
    declared = inline.mime;
    source = 'data-uri';
  } else if (/^https?:\/\//i.test(ref) || ref.startsWith('/')) {
    const response = await client.requestBytes({
      path: ref,
      signal: options.signal,
      maxBytes: options.maxBytes,
      onRetry: options.onRetry,
      // A proxy's HTML error page is retried; a file server without a type is forgiven.
      accept: new RegExp(`^(?:${options.kind}/|application/octet-stream$|binary/|$)`),
    });
    bytes = response.data;
    declared = response.contentType;
    source = new URL(ref, client.baseUrl).host;
    attempts = response.attempts;
  } else {
    throw new UnrecoverableGenerationError(
      `${options.label} is neither a data URI nor a URL: ${ref.slice(0, 60)}`,
    );
  }
  if (options.maxBytes !== undefined && bytes.byteLength > options.maxBytes) {
    throw new UnrecoverableGenerationError(
      `${options.label} is larger than ${options.maxBytes} bytes (${bytes.byteLength})`,
    );
  }
  const sniffed = sniffMedia(bytes);
  if (!sniffed || !sniffed.mime.startsWith(`${options.kind}/`)) {
    throw new UnrecoverableGenerationError(
      `${options.label} is not ${options.kind === 'image' ? 'an image' : 'audio'} ` +
        `(${bytes.byteLength} bytes, declared ${declared || 'without a type'})`,
    );
  }
  return { ...sniffed, bytes, source, attempts };
}
