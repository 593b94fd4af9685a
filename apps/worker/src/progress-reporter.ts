import { stageIndex, type Logger, type WorkingStage, type JobEventInput } from '@genq/core';
import type { JobsRepository } from '@genq/db';
import type { JobEventPublisher } from '@genq/queue';

export interface ProgressReporterOptions {
  jobId: string;
  baseEvent: Omit<JobEventInput, 'current_step' | 'progress' | 'message' | 'timestamp' | 'type'>;
  publisher: JobEventPublisher;
  jobs: JobsRepository;
  logger: Logger;
  /** Minimum time between two progress events (stage changes always go out). */
  publishIntervalMs?: number;
  /** Minimum time between two progress writes to PostgreSQL. */
  dbIntervalMs: number;
}

/**
 * Turns a generator's progress calls into events and row updates: stages and percent only
 * move forward, events are throttled, and the row is written at most once per interval.
 * Writes are chained so they land in order; `flush()` waits for them before a terminal write.
 */
export function createProgressReporter(options: ProgressReporterOptions) {
  const publishIntervalMs = options.publishIntervalMs ?? 100;
  let stage: WorkingStage = 'loading_model';
  let percent = 0;
  let message: string | null = null;
  let lastPublish = 0;
  let lastDbWrite = 0;
  let dbDirty = false;
  let chain: Promise<unknown> = Promise.resolve();

  const enqueue = (work: () => Promise<unknown>, what: string): void => {
    chain = chain.then(work).catch((error: unknown) => {
      options.logger.warn(`could not ${what}`, { error: String(error) });
    });
  };

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
    enqueue(() => options.publisher.publish(event), 'publish progress');
  };

  const writeNow = (): void => {
    lastDbWrite = Date.now();
    dbDirty = false;
    const [s, p, m] = [stage, percent, message];
    enqueue(() => options.jobs.recordProgress(options.jobId, s, p, m), 'record progress');
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
      if (stageChanged || now - lastDbWrite >= options.dbIntervalMs) writeNow();
    },
    /** Waits until every event and row write issued so far has landed. */
    async flush(): Promise<void> {
      if (dbDirty) writeNow();
      await chain;
    },
    current: () => ({ stage, percent, message }),
  };
}

export type ProgressReporter = ReturnType<typeof createProgressReporter>;
