import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Runs a script that logs through genq's logger in a process of its own. */
function runLogging(body: string): { stdout: string; stderr: string; status: number | null } {
  const script = `
    import { createLogger } from ${JSON.stringify(path.join(here, '../src/logger.ts'))};
    const logger = createLogger({ level: 'info', format: 'json', service: 'genq-test' });
    ${body}
  `;
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    },
  );
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

describe('console log output', () => {
  it('writes every line, in order, errors to stderr, even when the process exits in the same turn', () => {
    const { stdout, stderr, status } = runLogging(`
      for (let i = 0; i < 500; i += 1) logger.info('line', { i });
      logger.error('failed', { i: 500 });
      process.exit(3);
    `);
    expect(status).toBe(3);
    const lines = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { i: number });
    expect(lines.map((line) => line.i)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(JSON.parse(stderr.trim())).toMatchObject({ level: 'error', message: 'failed', i: 500 });
  });

  it('writes lines logged across turns as they come', () => {
    const { stdout, status } = runLogging(`
      logger.info('first');
      await new Promise((resolve) => setTimeout(resolve, 20));
      logger.info('second');
    `);
    expect(status).toBe(0);
    expect(
      stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line).message),
    ).toEqual(['first', 'second']);
  });
});
