import { floor, max } from '../math.ts';
/**
 * A growable byte buffer that rows are written into directly. Assembling output as JS strings
 * (a rope of ~20 pieces per row, flattened and UTF-8 encoded per chunk) cost about as much as
 * generating the values; writing pre-encoded bytes and ASCII digits is ~3× cheaper and leaves
 * little garbage. One scratch buffer per table is reused; `take()` copies a chunk out.
 */
export class ByteChunk {
  private buffer: Buffer;
  /** Bytes written since the last take(). */
  length = 0;

  constructor(initialSize = 1 << 20) {
    this.buffer = Buffer.allocUnsafe(initialSize);
  }

  /** The buffer, with room for `n` more bytes at `length`. */
  private room(n: number): Buffer {
    if (this.length + n > this.buffer.length) {
      const next = Buffer.allocUnsafe(max(this.buffer.length * 2, this.length + n));
      this.buffer.copy(next, 0, 0, this.length);
      this.buffer = next;
    }
    return this.buffer;
  }

  byte(value: number): void {
    const buffer = this.room(1);
    buffer[this.length] = value;
    this.length += 1;
  }

  /** Copies short arrays byte by byte: faster than TypedArray#set below ~64 bytes. */
  bytes(source: Uint8Array): void {
    const n = source.length;
    const buffer = this.room(n);
    let at = this.length;
    if (n > 64) buffer.set(source, at);
    else for (let i = 0; i < n; i += 1) buffer[at + i] = source[i] as number;
    at += n;
    this.length = at;
  }

  /** A string known to be ASCII (digits, dates, hex...). */
  ascii(text: string): void {
    const n = text.length;
    const buffer = this.room(n);
    const at = this.length;
    for (let i = 0; i < n; i += 1) buffer[at + i] = text.charCodeAt(i);
    this.length = at + n;
  }

  /** Any string, as UTF-8. */
  utf8(text: string): void {
    const buffer = this.room(text.length * 3);
    this.length += buffer.write(text, this.length, 'utf8');
  }

  /** A non-negative safe integer in decimal. */
  uint(value: number): void {
    if (value < 10) {
      this.byte(48 + value);
      return;
    }
    let digits = 1;
    for (let v = value; v >= 10; v = floor(v / 10)) digits += 1;
    const buffer = this.room(digits);
    let at = this.length + digits;
    this.length = at;
    let v = value;
    while (v >= 10) {
      const q = floor(v / 10);
      at -= 1;
      buffer[at] = 48 + (v - q * 10);
      v = q;
    }
    buffer[at - 1] = 48 + v;
  }

  /** A safe integer in decimal. */
  int(value: number): void {
    if (value < 0) {
      this.byte(45);
      this.uint(-value);
    } else this.uint(value);
  }

  /** A non-negative integer with leading zeros to `width` digits. */
  padded(value: number, width: number): void {
    const buffer = this.room(width);
    let v = value;
    for (let i = this.length + width - 1; i >= this.length; i -= 1) {
      const q = floor(v / 10);
      buffer[i] = 48 + (v - q * 10);
      v = q;
    }
    this.length += width;
  }

  /** The bytes written so far, copied out (the scratch buffer is reused), then empties the chunk. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.length);
    this.buffer.copy(out, 0, 0, this.length);
    this.length = 0;
    return out;
  }

  /** The bytes written so far as UTF-8 text, then empties the chunk. */
  takeText(): string {
    const text = this.buffer.toString('utf8', 0, this.length);
    this.length = 0;
    return text;
  }
}

export const utf8 = (text: string): Uint8Array => Buffer.from(text, 'utf8');
