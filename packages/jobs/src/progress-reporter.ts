import { stageIndex, type Logger, type WorkingStage, type JobEventInput } from '@genq/core';
import type { JobEventPublisher } from '@genq/queue';

export interface ProgressReporterOptions {
  baseEvent: Omit<JobEventInput, 'current_step' | 'progress' | 'message' | 'timestamp' | 'type'>;
  publisher: JobEventPublisher;
  /** Writes the progress to the job's row (guarded by the attempt). */
  writeProgress(step: WorkingStage, progress: number, message: string | null): Promise<void>;
  logger: Logger;
  /** Minimum time between two progress events (stage changes always go out). */
  publishIntervalMs?: number;
  /** Minimum time between two progress writes to PostgreSQL. */
  dbIntervalMs: number;
}

/**
 * Turns a generator's progress calls into events and row updates: stages and percent only
 * move forward, events are throttled (stage changes always go out), and the row is written at
 * most once per interval, trailing: a change not written yet is written when the interval
 * ends, so the row is never more than one interval behind. Events and row writes each keep
 * their order on their own chain, so an event never waits for a row write. `flush()` writes
 * what is pending and waits for both before a terminal write; `drain()` waits without
 * writing, for a terminal write that sets the whole state anyway (completed).
 */
export function createProgressReporter(options: ProgressReporterOptions) {
  const publishIntervalMs = options.publishIntervalMs ?? 100;
  let stage: WorkingStage = 'loading_model';
  let percent = 0;
  let message: string | null = null;
  let lastPublish = 0;
  // The row was written when the attempt was claimed.
  let lastDbWrite = Date.now();
  let dbDirty = false;
  let dbTimer: NodeJS.Timeout | undefined;
  let events: Promise<unknown> = Promise.resolve();
  let rows: Promise<unknown> = Promise.resolve();

  const chained = (chain: Promise<unknown>, work: () => Promise<unknown>, what: string) =>
    chain.then(work).catch((error: unknown) => {
      options.logger.warn(`could not ${what}`, { error: String(error) });
    });

  const publishNow = (): void => {
    lastPublish = Date.now();
    const event: JobEventInput = {
      ...options.baseEvent,
      type: 'progress',
      current_step: stage,
      progress: percent,
      message,
      timestamp: new Date().toISOString(),
    };
    events = chained(events, () => options.publisher.publish(event), 'publish progress');
  };

  const writeNow = (): void => {
    clearTimeout(dbTimer);
    dbTimer = undefined;
    lastDbWrite = Date.now();
    dbDirty = false;
    const [s, p, m] = [stage, percent, message];
    rows = chained(rows, () => options.writeProgress(s, p, m), 'record progress');
  };

  return {
    report(nextStage: WorkingStage, nextPercent: number, nextMessage?: string): void {
      const stageChanged = stageIndex(nextStage) > stageIndex(stage);
      if (stageIndex(nextStage) < stageIndex(stage)) return;
      const clamped = Math.min(
        100,
        Math.max(percent, Number.isFinite(nextPercent) ? nextPercent : 0),
      );
      const rounded = Math.round(clamped * 100) / 100;
      if (!stageChanged && rounded === percent && (nextMessage ?? message) === message) return;
      stage = nextStage;
      percent = rounded;
      message = nextMessage ?? message;
      dbDirty = true;
      const now = Date.now();
      if (stageChanged || now - lastPublish >= publishIntervalMs) publishNow();
      if (now - lastDbWrite >= options.dbIntervalMs) writeNow();
      else if (!dbTimer) {
        dbTimer = setTimeout(
          () => {
            if (dbDirty) writeNow();
          },
          lastDbWrite + options.dbIntervalMs - now,
        );
        dbTimer.unref();
      }
    },
    /** Publishes `event` in order with the progress events (the attempt's `running` event). */
    emit(event: JobEventInput): void {
      events = chained(events, () => options.publisher.publish(event), 'publish an event');
    },
    /** Writes the latest state if not written yet, then waits for every event and write. */
    async flush(): Promise<void> {
      if (dbDirty) writeNow();
      await Promise.all([events, rows]);
    },
    /** Waits for every event and write issued so far; a pending row write is dropped. */
    async drain(): Promise<void> {
      clearTimeout(dbTimer);
      dbTimer = undefined;
      dbDirty = false;
      await Promise.all([events, rows]);
    },
    current: () => ({ stage, percent, message }),
  };
}

export type ProgressReporter = ReturnType<typeof createProgressReporter>;
