/** Rejects with a clear message when `promise` takes longer than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `load`, shared: callers arriving while it runs get the same promise, and its result is
 * reused for `ttlMs`. A flood of probes or scrapes then costs one evaluation per period.
 */
export function shared<T>(load: () => Promise<T>, ttlMs: number): () => Promise<T> {
  let current: { promise: Promise<T>; at: number } | null = null;
  return () => {
    const now = Date.now();
    if (current && (current.at === 0 || now - current.at < ttlMs)) return current.promise;
    const entry = { promise: load(), at: 0 };
    current = entry;
    entry.promise.then(
      () => {
        entry.at = Date.now();
      },
      () => {
        // A failure is not kept: the next caller tries again.
        if (current === entry) current = null;
      },
    );
    return entry.promise;
  };
}
