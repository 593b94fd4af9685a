/**
 * Seeded randomness for the procedural providers: a string hash and a small, fast PRNG
 * (sfc32). Output depends only on the seed, so the same prompt and seed give the same file
 * on every machine and every attempt.
 */

/** MurmurHash3's finaliser: a bijection on 32-bit integers with good avalanche. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over UTF-16 code units, finished with mix32; `salt` separates uses of one text. */
export function hashText(text: string, salt = 0): number {
  let h = (0x811c9dc5 ^ mix32(salt >>> 0)) >>> 0;
  for (let i = 0; i < text.length; i += 1) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return mix32(h ^ text.length);
}

/** Combines numbers (a seed, an index, a hash) into one 32-bit seed. */
export function combineSeeds(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) h = mix32((h ^ (part >>> 0)) + 0x7f4a7c15);
  return h;
}

/** A seed for a job that gave none: derived from the job id, so a retry renders the same file. */
export function seedFromJobId(jobId: string): number {
  return hashText(jobId, 0x6a09e667);
}

/** sfc32 (Small Fast Counting): 128-bit state, passes PractRand, a few integer ops a draw. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 12; i += 1) this.uint32();
  }

  /** Uniform in [0, 2^32). */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4_294_967_296;
  }

  /** Uniform in [min, max). */
  range(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)] as T;
  }

  /** A new generator whose stream is independent of this one's later draws. */
  fork(label: number): Random {
    return new Random(combineSeeds(this.uint32(), label));
  }
}
