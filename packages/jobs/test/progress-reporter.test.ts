import { describe, expect, it } from '@jest/globals';
import winston from 'winston';
import type { JobEventInput } from '@genq/core';
import { createProgressReporter } from '../src/progress-reporter.ts';

function setup(dbIntervalMs = 60_000, recordDelayMs = 0) {
  const published: JobEventInput[] = [];
  const written: [string, number][] = [];
  const reporter = createProgressReporter({
    baseEvent: {
      job_id: 'job-1',
      batch_id: null,
      client_id: null,
      status: 'running',
      attempts: 1,
      error: null,
    },
    publisher: { publish: async (event) => (published.push(event), published.length) },
    writeProgress: async (step: string, progress: number) => {
      await new Promise((resolve) => setTimeout(resolve, recordDelayMs));
      written.push([step, progress]);
    },
    logger: winston.createLogger({ silent: true }),
    publishIntervalMs: 0,
    dbIntervalMs,
  });
  return { reporter, published, written };
}

describe('progress reporter', () => {
  it('never lets the stage or the percent go back', async () => {
    const { reporter, published } = setup();
    reporter.report('generating', 40);
    reporter.report('generating', 30);
    reporter.report('loading_model', 90);
    reporter.report('saving', 20);
    await reporter.flush();
    expect(published.map((e) => [e.current_step, e.progress])).toEqual([
      ['generating', 40],
      ['saving', 40],
    ]);
  });

  it('publishes an emitted event before the progress reported after it, even when slow', async () => {
    const order: string[] = [];
    const reporter = createProgressReporter({
      baseEvent: {
        job_id: 'job-1',
        batch_id: null,
        client_id: null,
        status: 'running',
        attempts: 1,
        error: null,
      },
      publisher: {
        publish: async (event) => {
          // The first event is the slowest to publish: the later ones must still wait for it.
          await new Promise((resolve) => setTimeout(resolve, event.type === 'status' ? 30 : 1));
          order.push(`${event.type}:${event.current_step}`);
          return order.length;
        },
      },
      writeProgress: async () => undefined,
      logger: winston.createLogger({ silent: true }),
      publishIntervalMs: 0,
      dbIntervalMs: 60_000,
    });
    reporter.emit({
      type: 'status',
      job_id: 'job-1',
      batch_id: null,
      client_id: null,
      status: 'running',
      current_step: 'loading_model',
      progress: 0,
      message: null,
      attempts: 1,
      error: null,
      timestamp: new Date().toISOString(),
    });
    reporter.report('generating', 50);
    reporter.report('saving', 100);
    await reporter.drain();
    expect(order).toEqual(['status:loading_model', 'progress:generating', 'progress:saving']);
  });

  it('writes the row at most once per interval, and the latest state on flush', async () => {
    const { reporter, written } = setup();
    reporter.report('generating', 10);
    reporter.report('generating', 20);
    reporter.report('saving', 30);
    // The attempt's claim wrote the row just now: nothing more within the interval.
    expect(written).toEqual([]);
    await reporter.flush();
    expect(written).toEqual([['saving', 30]]);
  });

  it('writes a change still pending when the interval ends', async () => {
    const { reporter, written } = setup(50);
    reporter.report('generating', 10);
    reporter.report('generating', 20);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(written).toEqual([['generating', 20]]);
    await reporter.flush();
    expect(written).toEqual([['generating', 20]]);
  });

  it('drain waits for events and drops a pending row write', async () => {
    const { reporter, published, written } = setup(50);
    reporter.report('saving', 100);
    await reporter.drain();
    expect(published.map((e) => e.current_step)).toEqual(['saving']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(written).toEqual([]);
  });

  it('publishes events without waiting for row writes', async () => {
    const { reporter, published, written } = setup(0, 200);
    reporter.report('generating', 10);
    reporter.report('saving', 20);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(published.map((e) => e.progress)).toEqual([10, 20]);
    expect(written).toEqual([]);
    await reporter.flush();
    expect(written).toEqual([
      ['generating', 10],
      ['saving', 20],
    ]);
  });
});
