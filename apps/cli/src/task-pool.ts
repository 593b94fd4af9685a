/** Runs at most `limit` tasks at once; `drain` waits for all, failures are collected. */
export class TaskPool {
  private running = 0;
  private readonly queue: (() => Promise<void>)[] = [];
  private readonly idle: (() => void)[] = [];
  readonly errors: unknown[] = [];

  constructor(private readonly limit: number) {}

  push(task: () => Promise<void>): void {
    this.queue.push(task);
    this.next();
  }

  private next(): void {
    while (this.running < this.limit && this.queue.length > 0) {
      const task = this.queue.shift()!;
      this.running += 1;
      task()
        .catch((error: unknown) => this.errors.push(error))
        .finally(() => {
          this.running -= 1;
          this.next();
        });
    }
    if (this.running === 0 && this.queue.length === 0)
      for (const wake of this.idle.splice(0)) wake();
  }

  drain(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}
