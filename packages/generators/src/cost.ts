/**
 * Saturating arithmetic for worst-case costs (`Generator.worstCase`): sums and products of
 * input-controlled numbers (rows × nested repeats × ...) stop at COST_CAP instead of growing
 * to Infinity (and Infinity × 0 = NaN), so a comparison with a limit always means something.
 */

/** The largest cost: anything at or above it is "too much" for every limit. */
export const COST_CAP = Number.MAX_SAFE_INTEGER;

export function satAdd(a: number, b: number): number {
  const sum = a + b;
  return sum >= COST_CAP || !Number.isFinite(sum) ? COST_CAP : sum;
}

export function satMul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return a >= COST_CAP / b ? COST_CAP : a * b;
}

export function satSum(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) total = satAdd(total, value);
  return total;
}
