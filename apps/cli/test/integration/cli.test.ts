import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { requestJson, startTestStack, waitUntil, type TestStack } from '@genq/test-utils';
import { requestHash } from '../../src/input.ts';
import type { JobRequest } from '../../src/types.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const BIN = path.join(ROOT, 'apps/cli/bin/genq.js');

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const noopLine = JSON.stringify({ generator: 'noop', input: { write_file: true } });
const failingLine = JSON.stringify({ generator: 'noop', input: { fail: 'unrecoverable' } });

// About 45 s on an idle two-core machine; the long tests allow for a busy one.
describe('the genq CLI against a running genq', () => {
  let stack: TestStack;
  let dir: string;

  /** The real binary as a child process, pointed at the test stack. */
  const start = (
    args: string[],
    env: Record<string, string> = {},
  ): ChildProcess & { result: Promise<CliResult> } => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: {
        ...process.env,
        // Jest's --experimental-vm-modules is not for the CLI.
        NODE_OPTIONS: '',
        GENQ_URL: stack.url,
        GENQ_API_KEY: stack.apiKey,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const result = new Promise<CliResult>((resolve) =>
      child.once('close', (code) => resolve({ code, stdout, stderr })),
    );
    return Object.assign(child, { result });
  };
  const genq = (args: string[], env?: Record<string, string>): Promise<CliResult> =>
    start(args, env).result;

  const writeLines = async (name: string, lines: string[]): Promise<string> => {
    const file = path.join(dir, name);
    await writeFile(file, `${lines.join('\n')}\n`);
    return file;
  };

  beforeAll(async () => {
    stack = await startTestStack({ workers: 2, concurrency: 8 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'genq-cli-'));
  });
  afterAll(async () => {
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lists the generators as JSON', async () => {
    const { code, stdout } = await genq(['generators', '--json']);
    expect(code).toBe(0);
    const names = (JSON.parse(stdout) as { generators: { name: string }[] }).generators.map(
      (g) => g.name,
    );
    expect(names).toEqual(expect.arrayContaining(['test-data', 'noop']));
  });

  it('submits a job, waits for it and prints it as one JSON document', async () => {
    const { code, stdout, stderr } = await genq([
      'submit',
      'noop',
      '--set',
      'sleep_ms=10',
      '--wait',
      '--json',
    ]);
    expect({ code, stderr }).toMatchObject({ code: 0 });
    const job = JSON.parse(stdout) as { id: string; status: string; input: unknown };
    expect(job.status).toBe('completed');
    expect(job.input).toEqual({ sleep_ms: 10 });
  });

  it('runs a 500-line batch to the end and extracts 500 result folders', async () => {
    const file = await writeLines(
      'ok.jsonl',
      Array.from({ length: 500 }, () => noopLine),
    );
    const out = path.join(dir, 'ok-out');
    const before = await stack.db.job.count();
    const { code, stdout, stderr } = await genq(['batch', file, '--wait', '--out', out]);
    expect({ code, stderr }).toMatchObject({ code: 0 });
    expect(stdout).toContain('500 completed, 0 failed');
    expect(await stack.db.job.count()).toBe(before + 500);
    const folders = await readdir(out);
    expect(folders).toHaveLength(500);
    for (const folder of folders) {
      expect(await readdir(path.join(out, folder))).toEqual(['noop.txt']);
    }
  }, 120_000);

  it('ends with exit code 1 and names the job that failed', async () => {
    const lines = Array.from({ length: 500 }, () => noopLine);
    lines[249] = failingLine;
    const file = await writeLines('one-fails.jsonl', lines);
    const out = path.join(dir, 'fail-out');
    const { code, stdout, stderr } = await genq(['batch', file, '--wait', '--out', out, '--json']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as {
      counts: Record<string, number>;
      failed_jobs: { id: string; line: number; status: string }[];
    };
    expect(report.counts).toEqual({ completed: 499, failed: 1, cancelled: 0 });
    expect(report.failed_jobs).toHaveLength(1);
    const failed = report.failed_jobs[0]!;
    expect(failed).toMatchObject({ line: 250, status: 'failed' });
    expect(stderr).toContain(`job ${failed.id} (line 250) failed`);
    expect(await stack.db.job.findUnique({ where: { id: failed.id } })).toMatchObject({
      status: 'failed',
    });
    expect(await readdir(out)).toHaveLength(499);
  }, 120_000);

  it('resumes an interrupted batch without submitting any line twice', async () => {
    const file = await writeLines(
      'resume.jsonl',
      Array.from({ length: 500 }, () => noopLine),
    );
    const state = `${file}.genq-state.json`;
    const before = await stack.db.job.count();

    // First run: killed (no chance to clean up) once at least one batch is on record.
    const first = start(['batch', file, '--batch-size', '25', '--quiet']);
    const recorded = await waitUntil(
      async () => {
        try {
          return (JSON.parse(await readFile(state, 'utf8')) as { batches: unknown[] }).batches
            .length;
        } catch {
          return 0;
        }
      },
      (n) => n >= 1,
      20_000,
      5,
    );
    first.kill('SIGKILL');
    const killed = await first.result;
    expect(killed.code).toBeNull();
    expect(recorded).toBeLessThan(20);

    // Second run, same file: sends only what the first did not.
    const second = await genq(['batch', file, '--batch-size', '25', '--json']);
    expect({ code: second.code, stderr: second.stderr }).toMatchObject({ code: 0 });
    const report = JSON.parse(second.stdout) as {
      already_submitted: number;
      submitted_now: number;
      jobs: { line: number; job_id: string }[];
    };
    expect(report.already_submitted + report.submitted_now).toBe(500);
    expect(report.already_submitted).toBeGreaterThanOrEqual(25);
    expect(new Set(report.jobs.map((j) => j.job_id)).size).toBe(500);
    expect(await stack.db.job.count()).toBe(before + 500);

    // A third run finds everything submitted.
    const third = await genq(['batch', file, '--batch-size', '25', '--json']);
    expect(third.code).toBe(0);
    expect(JSON.parse(third.stdout)).toMatchObject({ already_submitted: 500, submitted_now: 0 });
    expect(await stack.db.job.count()).toBe(before + 500);
  }, 120_000);

  it('finds a batch the server accepted just before the previous run died', async () => {
    const lines = Array.from({ length: 60 }, (_, i) =>
      JSON.stringify({ generator: 'noop', input: { sleep_ms: i } }),
    );
    const file = await writeLines('crash-window.jsonl', lines);
    const requests = lines.slice(0, 30).map((l) => JSON.parse(l) as JobRequest);
    const before = await stack.db.job.count();
    // What the dead run sent: accepted by the server, never recorded in the state file.
    const accepted = await requestJson<{ batch_id: string }>(
      'POST',
      `${stack.url}/api/v1/jobs/batch`,
      { requests },
      stack.authHeaders,
    );
    expect(accepted.status).toBe(202);
    await writeFile(
      `${file}.genq-state.json`,
      JSON.stringify({
        version: 1,
        input: file,
        batches: [],
        pending: {
          idempotency_key: 'genq-batch-test',
          lines: requests.map((_, i) => i + 1),
          hashes: requests.map((r) => requestHash(r)),
          requests,
          sent_at: new Date().toISOString(),
        },
        updated_at: new Date().toISOString(),
      }),
    );
    const { code, stdout, stderr } = await genq(['batch', file, '--json']);
    expect({ code, stderr }).toMatchObject({ code: 0 });
    expect(stderr).toContain(`they were (batch ${accepted.body.batch_id})`);
    expect(JSON.parse(stdout)).toMatchObject({ already_submitted: 30, submitted_now: 30 });
    expect(await stack.db.job.count()).toBe(before + 60);
  });

  it('exits 2 on a bad input file and on bad flags, naming the problem', async () => {
    const file = await writeLines('bad.jsonl', [
      noopLine,
      '{"generator":"noop","input":{}',
      '{"input":{}}',
    ]);
    const bad = await genq(['batch', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('line 2: not JSON');
    expect(bad.stderr).toContain('line 3.generator');
    expect(existsSync(`${file}.genq-state.json`)).toBe(false);

    const rejected = await genq(['submit', 'noop', '--set', 'sleep_ms=soon', '--json']);
    expect(rejected.code).toBe(2);
    expect(JSON.parse(rejected.stdout)).toMatchObject({
      error: { code: 'validation_failed', details: [{ path: 'input.sleep_ms' }], exit_code: 2 },
    });
    expect(rejected.stderr).toContain('input.sleep_ms');

    expect((await genq(['batch'])).code).toBe(2);
    expect((await genq(['submit', 'noop', '--priority', 'URGENT'])).code).toBe(2);
  });

  it('exits 4 when the key is refused', async () => {
    const { code, stderr } = await genq(['stats'], { GENQ_API_KEY: 'genq_not-a-real-key' });
    expect(code).toBe(4);
    expect(stderr).toContain('unauthorized');
  });

  it('creates, lists and revokes client keys with the admin key', async () => {
    const admin = { GENQ_ADMIN_KEY: stack.adminKey, GENQ_API_KEY: '' };
    const created = await genq(
      ['keys', 'create', '--client', 'cli-test', '--tier', 'standard', '--json'],
      admin,
    );
    expect({ code: created.code, stderr: created.stderr }).toMatchObject({ code: 0 });
    const { key, client } = JSON.parse(created.stdout) as {
      key: { id: string; key: string };
      client: { name: string; tier: string };
    };
    expect(client).toMatchObject({ name: 'cli-test', tier: 'standard' });
    expect(key.key).toMatch(/^genq_/);

    const submitted = await genq(['submit', 'noop', '--json'], { GENQ_API_KEY: key.key });
    expect(submitted.code).toBe(0);
    expect(JSON.parse(submitted.stdout)).toMatchObject({ priority: 'NORMAL' });

    const listed = await genq(['keys', 'list', '--client', 'cli-test', '--json'], admin);
    expect(listed.code).toBe(0);
    const keys = (JSON.parse(listed.stdout) as { keys: { id: string; key?: string }[] }).keys;
    expect(keys.map((k) => k.id)).toEqual([key.id]);
    expect(keys[0]).not.toHaveProperty('key');

    const revoked = await genq(['keys', 'revoke', key.id], admin);
    expect(revoked.code).toBe(0);
    expect((await genq(['stats'], { GENQ_API_KEY: key.key })).code).toBe(4);
    expect((await genq(['keys', 'list'], { GENQ_ADMIN_KEY: '' })).code).toBe(2);
  });
});
