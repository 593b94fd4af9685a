/** RIFF/WAVE with 16-bit PCM: a 44-byte header, then interleaved little-endian samples. */

export const WAV_HEADER_BYTES = 44;

export function wavHeader(frames: number, sampleRate: number, channels: number): Uint8Array {
  const blockAlign = channels * 2;
  const dataBytes = frames * blockAlign;
  const header = new Uint8Array(WAV_HEADER_BYTES);
  const view = new DataView(header.buffer);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i += 1) header[offset + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  return header;
}

export interface WavInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  frames: number;
  seconds: number;
}

/** Reads a WAV file's format and length from its chunks; undefined when it is not one. */
export function readWavInfo(bytes: Uint8Array): WavInfo | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (offset: number) => String.fromCharCode(...bytes.subarray(offset, offset + 4));
  if (bytes.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') return undefined;
  let format:
    { channels: number; sampleRate: number; bits: number; blockAlign: number } | undefined;
  for (let offset = 12; offset + 8 <= bytes.byteLength;) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    if (id === 'fmt ' && size >= 16) {
      format = {
        channels: view.getUint16(offset + 10, true),
        sampleRate: view.getUint32(offset + 12, true),
        blockAlign: view.getUint16(offset + 20, true),
        bits: view.getUint16(offset + 22, true),
      };
    } else if (id === 'data' && format && format.blockAlign > 0 && format.sampleRate > 0) {
      const available = Math.min(size, bytes.byteLength - offset - 8);
      const frames = Math.floor(available / format.blockAlign);
      return {
        sampleRate: format.sampleRate,
        channels: format.channels,
        bitsPerSample: format.bits,
        frames,
        seconds: frames / format.sampleRate,
      };
    }
    offset += 8 + size + (size % 2);
  }
  return undefined;
}
