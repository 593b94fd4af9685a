import type { Logger } from '@genq/core';
import type { FairScheduler } from './fair-queue.ts';

export interface DispatcherOptions {
  scheduler: FairScheduler;
  /** Generators this process dispatches for. */
  generators: string[];
  logger: Logger;
  /** Also dispatch on a timer (deferred jobs coming due, capacity changes); off when absent. */
  intervalMs?: number;
}

interface GeneratorState {
  running: Promise<void> | null;
  again: boolean;
  released: { id: string; client: string }[];
}

/**
 * Runs the scheduler's dispatch for each generator, one call at a time per generator in this
 * process (calls in several processes are safe: the dispatch script is atomic). Kicks that
 * arrive while a call runs are folded into one more call, and the slots of jobs that ended
 * meanwhile are released in it, so under load one round trip serves many jobs.
 */
export function createDispatcher(options: DispatcherOptions) {
  const states = new Map<string, GeneratorState>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const state = (generator: string): GeneratorState => {
    let s = states.get(generator);
    if (!s) {
      s = { running: null, again: false, released: [] };
      states.set(generator, s);
    }
    return s;
  };

  async function loop(generator: string, s: GeneratorState): Promise<void> {
    do {
      s.again = false;
      const released = s.released.splice(0);
      try {
        await options.scheduler.dispatch(generator, released);
      } catch (error) {
        // Releasing is idempotent: try these again on the next call.
        s.released.push(...released);
        s.again = false;
        options.logger.warn('dispatch failed', { generator, error: String(error) });
        return;
      }
    } while (s.again && !stopped);
  }

  function kick(generator: string): Promise<void> {
    const s = state(generator);
    if (s.running) {
      s.again = true;
      return s.running;
    }
    s.running = loop(generator, s).finally(() => {
      s.running = null;
      // A kick that came after the loop's last check but before this point.
      if (s.again && !stopped) void kick(generator);
    });
    return s.running;
  }

  return {
    kick,
    /** A job handed out by the scheduler ended (or went back to wait): free its slot. */
    release(generator: string, id: string, client: string): Promise<void> {
      state(generator).released.push({ id, client });
      return kick(generator);
    },
    start(): void {
      if (timer || options.intervalMs === undefined) return;
      timer = setInterval(() => {
        for (const generator of options.generators) void kick(generator);
      }, options.intervalMs);
      for (const generator of options.generators) void kick(generator);
    },
    /** Stops the timer and flushes pending releases. */
    async stop(): Promise<void> {
      clearInterval(timer);
      timer = undefined;
      await Promise.all([...states.values()].map((s) => s.running));
      for (const [generator, s] of states) {
        if (s.released.length > 0) await kick(generator).catch(() => undefined);
      }
      stopped = true;
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
