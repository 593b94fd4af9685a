/**
 * Delay before attempt `nextAttempt` (2 for the first retry): delay × 2^(n-2) with ±25%
 * jitter, so attempt 2 waits about `baseDelayMs`, attempt 3 twice that, and so on.
 * Jitter spreads retries of jobs that failed together (a provider outage) apart.
 */
export function retryDelayMs(
  baseDelayMs: number,
  nextAttempt: number,
  random: () => number = Math.random,
): number {
  const exponential = baseDelayMs * 2 ** Math.max(0, nextAttempt - 2);
  const jitter = 1 + (random() * 2 - 1) * 0.25;
  return Math.round(exponential * jitter);
}
