import { describe, expect, it } from '@jest/globals';
import winston from 'winston';
import type { JobEventInput } from '@genq/core';
import type { JobsRepository } from '@genq/db';
import { createProgressReporter } from '../../src/progress-reporter.ts';

function setup() {
  const published: JobEventInput[] = [];
  const written: [string, number][] = [];
  const reporter = createProgressReporter({
    jobId: 'job-1',
    baseEvent: {
      job_id: 'job-1',
      batch_id: null,
      client_id: null,
      status: 'running',
      attempts: 1,
      error: null,
    },
    publisher: { publish: async (event) => (published.push(event), published.length) },
    jobs: {
      recordProgress: async (_id: string, step: string, progress: number) => {
        written.push([step, progress]);
      },
    } as unknown as JobsRepository,
    logger: winston.createLogger({ silent: true }),
    publishIntervalMs: 0,
    dbIntervalMs: 60_000,
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

  it('writes the row on stage changes and once more on flush', async () => {
    const { reporter, written } = setup();
    reporter.report('generating', 10);
    reporter.report('generating', 20);
    reporter.report('generating', 30);
    await reporter.flush();
    expect(written).toEqual([
      ['generating', 10],
      ['generating', 30],
    ]);
  });
});
