import { describe, expect, it } from '@jest/globals';
import { retryDelayMs } from '../src/backoff.ts';

describe('retryDelayMs', () => {
  it('doubles from the base delay for each further attempt', () => {
    const noJitter = (): number => 0.5;
    expect([2, 3, 4, 5].map((n) => retryDelayMs(1000, n, noJitter))).toEqual([
      1000, 2000, 4000, 8000,
    ]);
  });

  it('stays within ±25% jitter', () => {
    expect(retryDelayMs(1000, 3, () => 0)).toBe(1500);
    expect(retryDelayMs(1000, 3, () => 1)).toBe(2500);
  });
});
