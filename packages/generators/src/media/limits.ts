/**
 * Result size estimates, checked at submission by the input schemas: the API validates a
 * job with its generator's schema, so a job over a limit is refused before it is queued.
 */

/** What the estimate of an audio result assumes: 44.1 kHz, stereo, 16-bit PCM. */
export const AUDIO_ESTIMATE = { sampleRate: 44_100, channels: 2, bytesPerSample: 2 } as const;

/** Uncompressed RGBA: an upper bound for PNG and anything a model server sends back. */
export function estimateImageBytes(count: number, width: number, height: number): number {
  return width * height * 4 * count;
}

export function estimateAudioBytes(seconds: number): number {
  const { sampleRate, channels, bytesPerSample } = AUDIO_ESTIMATE;
  return Math.ceil(seconds * sampleRate) * channels * bytesPerSample + 44;
}

/** metadata.json of a media job: prompts (escaped), provider facts, one entry per file. */
export const MEDIA_METADATA_BYTES = 64 * 1024;
export const MEDIA_METADATA_BYTES_PER_FILE = 2 * 1024;

/** 1536 → "1.5 KiB", 268435456 → "256 MiB". */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const text = unit === 0 || Number.isInteger(value) ? String(value) : value.toFixed(1);
  return `${text} ${units[unit]}`;
}
