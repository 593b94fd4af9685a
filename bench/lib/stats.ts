/** Small statistics and formatting helpers shared by the scenarios. */

/** The p-th percentile (0–100) of `values`, nearest-rank on a sorted copy; NaN when empty. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

export interface Distribution {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export function distribution(values: ArrayLike<number>): Distribution {
  if (values.length === 0) return { count: 0, p50: Number.NaN, p99: Number.NaN, max: Number.NaN };
  const sorted = Float64Array.from(values).sort();
  const at = (p: number): number =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  return { count: sorted.length, p50: at(50), p99: at(99), max: sorted[sorted.length - 1]! };
}

export const ms = (value: number): string =>
  !Number.isFinite(value)
    ? 'n/a'
    : Math.abs(value) >= 100
      ? `${value.toFixed(0)} ms`
      : Math.abs(value) >= 10
        ? `${value.toFixed(1)} ms`
        : `${value.toFixed(2)} ms`;

export const int = (value: number): string =>
  Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';

export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

export const ratio = (value: number): string =>
  !Number.isFinite(value) ? 'n/a' : value >= 10 ? `${value.toFixed(0)}×` : `${value.toFixed(2)}×`;

export const percent = (value: number): string =>
  Number.isFinite(value) ? `${(value * 100).toFixed(0)}%` : 'n/a';

export const sleep = (milliseconds: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, milliseconds));

/**
 * Wall-clock time with sub-millisecond resolution: `performance.now()` anchored on the moment
 * `Date.now()` ticks over, so values from different processes on this machine compare. The
 * anchor is taken several times and the latest kept: a process preempted between the two
 * reads would anchor early.
 */
export function preciseClock(): () => number {
  let base = -Infinity;
  for (let i = 0; i < 10; i += 1) {
    const start = Date.now();
    let tick = start;
    while (tick === start) tick = Date.now();
    base = Math.max(base, tick - performance.now());
  }
  return () => base + performance.now();
}
