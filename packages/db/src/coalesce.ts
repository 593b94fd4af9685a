/**
 * Turns a set-based operation into a per-item one whose calls share round trips: a call made
 * while no statement is in flight runs at once, alone; calls made while one is in flight wait
 * for it and then run together as the next statement. Nothing waits on a timer, so a lone call
 * costs what it did, and under load one round trip (and one commit) serves many callers.
 *
 * `runMany` gets distinct keys (a repeated key waits for the next statement, so calls for one
 * key keep their order) and answers one result per item, in order. If a statement for several
 * items fails, each item is retried alone with `runOne`, so one bad item (or a deadlock with
 * another multi-row statement) fails only its own call.
 */
export function coalesce<T, R>(options: {
  key: (item: T) => string;
  runMany: (items: T[]) => Promise<R[]>;
  runOne: (item: T) => Promise<R>;
  /** Largest statement (default 500 items). */
  maxBatch?: number;
}): (item: T) => Promise<R> {
  const maxBatch = options.maxBatch ?? 500;
  const queue: { item: T; resolve(value: R): void; reject(error: unknown): void }[] = [];
  let busy = false;

  function pump(): void {
    if (busy || queue.length === 0) return;
    const keys = new Set<string>();
    const batch: typeof queue = [];
    for (let i = 0; i < queue.length && batch.length < maxBatch;) {
      const entry = queue[i]!;
      const key = options.key(entry.item);
      if (keys.has(key)) {
        i += 1;
        continue;
      }
      keys.add(key);
      batch.push(entry);
      queue.splice(i, 1);
    }
    busy = true;
    const items = batch.map((entry) => entry.item);
    const run: Promise<unknown> =
      batch.length === 1
        ? options.runOne(items[0]!).then(
            (result) => batch[0]!.resolve(result),
            (error: unknown) => batch[0]!.reject(error),
          )
        : options.runMany(items).then(
            (results) => batch.forEach((entry, i) => entry.resolve(results[i]!)),
            () =>
              Promise.all(
                batch.map((entry) => options.runOne(entry.item).then(entry.resolve, entry.reject)),
              ),
          );
    void run.finally(() => {
      busy = false;
      pump();
    });
  }

  return (item) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      pump();
    });
}
