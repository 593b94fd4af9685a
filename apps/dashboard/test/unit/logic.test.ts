// The dashboard's pure logic, without a browser: step states, event merging, file parsing,
// batch summaries, error routing and reconnect backoff.
import { describe, expect, it } from '@jest/globals';
import { parseJobFile, summarize } from '../../src/client/batch.ts';
import { applyEvent, mergeView, type JobState } from '../../src/client/jobs.ts';
import { reconnectDelay } from '../../src/client/live.ts';
import { discriminatorOf, matchPath } from '../../src/client/schema-form.ts';
import { pipelineSteps } from '../../src/client/stages.ts';
import type { JobEvent, JobView } from '../../src/client/types.ts';

const states = (...args: Parameters<typeof pipelineSteps>) =>
  pipelineSteps(...args).map((s) => s.state);

describe('pipeline steps', () => {
  it('marks the current stage active, the passed ones done, the rest pending', () => {
    expect(states('queued', 'queued')).toEqual([
      'active',
      'pending',
      'pending',
      'pending',
      'pending',
      'pending',
    ]);
    expect(states('running', 'generating')).toEqual([
      'done',
      'done',
      'done',
      'active',
      'pending',
      'pending',
    ]);
    expect(states('completed', 'completed')).toEqual(Array(6).fill('done'));
  });

  it('shows where a failed or cancelled job stopped, and how it ended', () => {
    expect(states('failed', 'failed', 'saving')).toEqual([
      'done',
      'done',
      'done',
      'done',
      'failed',
      'failed',
    ]);
    expect(states('cancelled', 'cancelled', null)).toEqual([
      'done',
      'pending',
      'pending',
      'pending',
      'pending',
      'cancelled',
    ]);
    expect(pipelineSteps('cancelled', 'cancelled').at(-1)?.label).toBe('cancelled');
    expect(pipelineSteps('retrying', 'queued')[0]?.label).toBe('waiting to retry');
  });
});

const view = (overrides: Partial<JobView> = {}): JobView => ({
  id: '0193a0b0-0000-7000-8000-000000000001',
  generator: 'noop',
  status: 'queued',
  priority: 'NORMAL',
  current_step: 'queued',
  progress: 0,
  message: null,
  attempts: 0,
  max_attempts: 4,
  retry_count: 0,
  next_attempt_at: null,
  error: null,
  batch_id: null,
  result: null,
  created_at: '2026-01-01T00:00:00.000Z',
  started_at: null,
  completed_at: null,
  duration_seconds: null,
  position: null,
  eta_seconds: null,
  links: { self: '/api/v1/jobs/x', result: '/api/v1/jobs/x/result', websocket: '/ws/x' },
  ...overrides,
});

const event = (overrides: Partial<JobEvent>): JobEvent => ({
  type: 'progress',
  job_id: view().id,
  seq: 1,
  status: 'running',
  current_step: 'generating',
  progress: 10,
  message: null,
  attempts: 1,
  error: null,
  ...overrides,
});

describe('job state', () => {
  it('applies newer events, ignores older ones, and always takes a snapshot', () => {
    let state: JobState = mergeView(undefined, view());
    state = applyEvent(state, event({ seq: 5, progress: 50 }))!;
    expect(state.view).toMatchObject({ status: 'running', progress: 50 });
    expect(applyEvent(state, event({ seq: 4, progress: 40 }))).toBeNull();
    expect(applyEvent(state, event({ seq: 5, progress: 45 }))).toBeNull();
    const snapshot = applyEvent(state, event({ type: 'snapshot', seq: 7, progress: 70 }))!;
    expect(snapshot).toMatchObject({ seq: 7, view: { progress: 70 }, lastWorking: 'generating' });
  });

  it('keeps live fields over an older HTTP view, but takes a final one whole', () => {
    let state = applyEvent(mergeView(undefined, view()), event({ seq: 3, progress: 60 }))!;
    state = mergeView(state, view({ status: 'running', progress: 20, started_at: 'x' }));
    expect(state.view).toMatchObject({ progress: 60, started_at: 'x' });
    state = mergeView(state, view({ status: 'cancelling', progress: 20 }));
    expect(state).toMatchObject({ cancelRequested: true, view: { status: 'running' } });
    state = mergeView(state, view({ status: 'completed', progress: 100, duration_seconds: 2 }));
    expect(state).toMatchObject({
      cancelRequested: false,
      view: { status: 'completed', duration_seconds: 2 },
    });
  });

  it('keeps a waiting job position only while it waits', () => {
    let state = mergeView(undefined, view());
    state = applyEvent(
      state,
      event({ type: 'snapshot', status: 'queued', position: 3, eta_seconds: 9 }),
    )!;
    expect(state.view).toMatchObject({ position: 3, eta_seconds: 9 });
    state = applyEvent(state, event({ seq: 2 }))!;
    expect(state.view).toMatchObject({ position: null, eta_seconds: null });
  });
});

describe('jobs file', () => {
  it('reads JSON Lines, skipping blank lines and keeping line numbers', () => {
    const parsed = parseJobFile('{"generator":"noop"}\n\n{"generator":"noop","input":{}}\r\n');
    expect(parsed.requests).toHaveLength(2);
    expect(parsed.lines).toEqual([1, 3]);
  });

  it('reads a JSON array', () => {
    expect(parseJobFile(' [{"generator":"a"},{"generator":"b"}] ').lines).toEqual([1, 2]);
  });

  it('names the line at fault', () => {
    expect(() => parseJobFile('{"generator":"noop"}\n{oops')).toThrow('line 2: not valid JSON');
    expect(() => parseJobFile('{"generator":"noop"}\n{"input":{}}')).toThrow(
      'line 2: "generator" is missing',
    );
    expect(() => parseJobFile('[1]')).toThrow('item 1: expected a JSON object');
    expect(() => parseJobFile('  ')).toThrow('the file is empty');
  });
});

describe('batch summary', () => {
  it('follows the API rules', () => {
    const job = (status: JobEvent['status'], progress = 0) => ({ status, progress });
    expect(summarize([job('queued'), job('queued')]).status).toBe('queued');
    expect(summarize([job('running', 50), job('completed')])).toMatchObject({
      status: 'running',
      progress: 75,
    });
    expect(summarize([job('completed'), job('failed')]).status).toBe('completed_with_errors');
    expect(summarize([job('failed'), job('cancelled')]).status).toBe('failed');
    expect(summarize([job('cancelled')]).status).toBe('cancelled');
    expect(summarize([job('completed')]).counts.completed).toBe(1);
  });
});

describe('schema form helpers', () => {
  it('routes an API detail to the deepest field whose path prefixes it', () => {
    const paths = ['input', 'input.tables', 'input.tables.0', 'input.tables.0.name', 'input.rows'];
    expect(matchPath(paths, 'input.tables.0.name')).toBe('input.tables.0.name');
    expect(matchPath(paths, 'input.tables.0.fields.3.max')).toBe('input.tables.0');
    expect(matchPath(paths, 'input.rowsx')).toBe('input');
    expect(matchPath(paths, 'priority')).toBeNull();
  });

  it('finds the const property that tells oneOf options apart', () => {
    const option = (type: string) => ({
      type: 'object',
      properties: { name: { type: 'string' }, type: { const: type } },
    });
    expect(discriminatorOf([option('uuid'), option('integer')])).toBe('type');
    expect(discriminatorOf([option('uuid'), option('uuid')])).toBeNull();
    expect(discriminatorOf([option('uuid')])).toBeNull();
    // An option may stand for several values (an enum), as test-data's text fields do.
    const several = {
      type: 'object',
      properties: { name: { type: 'string' }, type: { enum: ['name', 'email'] } },
    };
    expect(discriminatorOf([option('uuid'), several])).toBe('type');
    expect(discriminatorOf([option('email'), several])).toBeNull();
  });
});

describe('reconnect backoff', () => {
  it('doubles up to a cap, with jitter', () => {
    expect(reconnectDelay(1, 0.5)).toBe(500);
    expect(reconnectDelay(2, 0.5)).toBe(1000);
    expect(reconnectDelay(3, 0)).toBe(1500);
    expect(reconnectDelay(30, 0.5)).toBe(15_000);
    expect(reconnectDelay(30, 1)).toBe(18_750);
  });
});
