import { randomInt } from 'node:crypto';
import { floor, imul } from './math.ts';

/**
 * Counter-based randomness: every value is a pure function of (field seed, row index).
 * That makes output independent of chunk sizes, lets a foreign key regenerate any row of
 * another table on demand (no table is kept in memory), and costs a few integer
 * multiplications per draw.
 */

const GOLDEN = 0x9e3779b9;
const TWO_POW_32 = 4_294_967_296;

/** MurmurHash3's finaliser: a bijection on 32-bit integers with good avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashString(h: number, text: string): number {
  for (let i = 0; i < text.length; i += 1) {
    h = imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return fmix32(h ^ text.length);
}

/**
 * A 32-bit seed for one purpose (a pool, a table's field, its null mask...), derived from
 * the job seed and labels. Labels are names, not positions, so adding a field leaves the
 * other columns unchanged.
 */
export function deriveSeed(seed: number, ...labels: string[]): number {
  let h = fmix32((seed >>> 0) ^ 0x5bd1e995);
  h = fmix32(h ^ floor(seed / TWO_POW_32));
  for (const label of labels) h = hashString(h ^ 0x2545f491, label);
  return h;
}

/** One 32-bit draw for (seed, row): for a fixed seed, distinct rows give distinct values. */
export function hashRow(seed: number, row: number): number {
  return fmix32((imul(row, GOLDEN) + seed) | 0);
}

/** A seed for jobs that did not give one; reported in metadata.json so the run can be repeated. */
export function randomSeed(): number {
  return randomInt(0, 2 ** 32 - 1);
}

/**
 * A small stream of draws for one row of one field: a scrambled row index, then a Weyl
 * sequence from it through the finaliser (as splitmix does). The first draw is a bijection
 * of the row index, which uuid relies on; a field that needs one draw pays one hash.
 */
export class RowRandom {
  private base = 0;
  private drawn = 0;

  constructor(private readonly seed: number) {}

  at(row: number): this {
    this.base = hashRow(this.seed, row);
    this.drawn = 0;
    return this;
  }

  /** Uniform in [0, 2^32). Draw k > 0 mixes base + k·φ, computed only when asked for. */
  next(): number {
    const k = this.drawn;
    this.drawn = k + 1;
    return k === 0 ? this.base : fmix32((this.base + imul(k, GOLDEN)) | 0);
  }

  /** Uniform integer in [0, n) for n ≤ 2^32. */
  below(n: number): number {
    return floor((this.next() / TWO_POW_32) * n);
  }

  /** Uniform integer in [0, n) for any n ≤ 2^53 (two draws when n needs them). */
  belowLarge(n: number): number {
    if (n <= TWO_POW_32) return this.below(n);
    return floor(this.float53() * n);
  }

  /** Uniform in [0, 1) with 32 bits. */
  float(): number {
    return this.next() / TWO_POW_32;
  }

  /** Uniform in [0, 1) with 53 bits. */
  float53(): number {
    const hi = this.next() >>> 5;
    const lo = this.next() >>> 6;
    return (hi * 67_108_864 + lo) / 9_007_199_254_740_992;
  }
}
