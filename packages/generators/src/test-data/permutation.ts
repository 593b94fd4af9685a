import { fmix32 } from './prng.ts';
import { ceil, floor, imul, log2, max } from './math.ts';

const TWO_POW_32 = 4_294_967_296;

/**
 * A seeded bijection of [0, size) for size ≤ 2^32: how unique values are made without
 * remembering the ones already used. Row i gets `at(i)`; distinct rows give distinct
 * values, in an order that looks random. A 4-round Feistel network over the smallest
 * power of two ≥ size, with cycle walking back into range (under 2 steps on average).
 */
export class Permutation {
  private readonly loBits: number;
  private readonly loSize: number;
  private readonly hiSize: number;
  private readonly keys: number[];

  constructor(
    readonly size: number,
    seed: number,
  ) {
    if (!Number.isInteger(size) || size < 1 || size > TWO_POW_32) {
      throw new RangeError(`permutation size ${size} is out of range`);
    }
    const bits = max(2, ceil(log2(size)));
    this.loBits = floor(bits / 2);
    this.loSize = 2 ** this.loBits;
    this.hiSize = 2 ** (bits - this.loBits);
    this.keys = [1, 2, 3, 4].map((round) => fmix32(seed ^ imul(round, 0x27d4eb2f)));
  }

  at(index: number): number {
    let x = index;
    do x = this.round(x);
    while (x >= this.size);
    return x;
  }

  private round(x: number): number {
    // Unbalanced halves: hi has hiSize values, lo has loSize; each step is invertible.
    let hi = floor(x / this.loSize);
    let lo = x - hi * this.loSize;
    const [k0, k1, k2, k3] = this.keys as [number, number, number, number];
    hi = (hi ^ fmix32(lo ^ k0)) & (this.hiSize - 1);
    lo = (lo ^ fmix32(hi ^ k1)) & (this.loSize - 1);
    hi = (hi ^ fmix32(lo ^ k2)) & (this.hiSize - 1);
    lo = (lo ^ fmix32(hi ^ k3)) & (this.loSize - 1);
    return hi * this.loSize + lo;
  }
}

/**
 * Distinct integers in [0, span) for rows 0..rows-1, for any span ≤ 2^53: a permutation
 * when the span fits 32 bits, else a permutation of 2^32 slots stretched over the span
 * (slots are ≥ 1 apart, so distinct slots stay distinct).
 */
export function uniqueIndexer(span: number, seed: number): (row: number) => number {
  if (span <= TWO_POW_32) {
    const permutation = new Permutation(span, seed);
    return (row) => permutation.at(row);
  }
  const permutation = new Permutation(TWO_POW_32, seed);
  const stretch = floor(span / TWO_POW_32);
  return (row) => permutation.at(row) * stretch;
}
