import { performance } from 'node:perf_hooks';

/**
 * While a remote server works without saying how far it is: calls `tick` every second
 * with a fraction that rises towards 1 as the expected time passes (never reaching it) and
 * the seconds waited. Returns a function that stops it.
 */
export function startWaitTicker(
  expectedMs: number,
  tick: (fraction: number, elapsedSeconds: number) => void,
  intervalMs = 1_000,
): () => void {
  const started = performance.now();
  const timer = setInterval(() => {
    const elapsed = performance.now() - started;
    tick(1 - Math.exp(-elapsed / Math.max(1, expectedMs)), Math.round(elapsed / 1000));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** The last percentage a progress bar (tqdm: " 45%|████▌     | 9/20") printed in `logs`. */
export function lastLogPercent(logs: string | null | undefined): number | undefined {
  if (!logs) return undefined;
  const tail = logs.slice(-2_000);
  let found: number | undefined;
  for (const match of tail.matchAll(/(\d{1,3})%\|/g)) {
    const value = Number(match[1]);
    if (value <= 100) found = value;
  }
  return found;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
