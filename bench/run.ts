/**
 * genq's benchmark suite: every genq figure beside its raw BullMQ / Redis / `ws` counterpart,
 * measured in the same run on this machine.
 *
 *   npm run bench                  full sizes (4–10 minutes), writes docs/benchmarks.md
 *   npm run bench -- --quick       small sizes, checks the bench works (under 2 minutes)
 *   npm run bench -- --only throughput,one-job   some scenarios (docs are not written)
 *   npm run bench -- --write       write docs/benchmarks.md after a --quick or --only run too
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { describeMachine, type Machine } from './lib/machine.ts';
import type { Row, Scenario } from './lib/scenario.ts';
import { healthUnderLoad } from './scenarios/health.ts';
import { highPriority } from './scenarios/high-priority.ts';
import { isolation } from './scenarios/isolation.ts';
import { oneJob } from './scenarios/one-job.ts';
import { progressRelay } from './scenarios/progress-relay.ts';
import { throughput } from './scenarios/throughput.ts';
import { webSocketMemory } from './scenarios/ws-memory.ts';

const SCENARIOS: Scenario[] = [
  throughput,
  oneJob,
  progressRelay,
  healthUnderLoad,
  highPriority,
  webSocketMemory,
  isolation,
];

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOC = path.join(ROOT, 'docs/benchmarks.md');
const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

function parseArgs(argv: string[]): { quick: boolean; only: string[] | null; write: boolean } {
  const quick = argv.includes('--quick');
  const onlyArg = argv.find((a) => a.startsWith('--only'));
  const onlyValue = onlyArg?.includes('=')
    ? onlyArg.split('=')[1]
    : argv[argv.indexOf('--only') + 1];
  const only = onlyArg ? (onlyValue ?? '').split(',').filter(Boolean) : null;
  const unknown = only?.filter((id) => !SCENARIOS.some((s) => s.id === id)) ?? [];
  if (unknown.length > 0) {
    throw new Error(
      `unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`,
    );
  }
  return { quick, only, write: argv.includes('--write') || (!quick && !only) };
}

const cell = (text: string): string => text.replace(/\|/g, '\\|');

function table(rows: Row[]): string {
  const lines = [
    '| Measure | genq | Raw counterpart | genq vs raw | Target | Met |',
    '| --- | ---: | ---: | ---: | --- | :---: |',
  ];
  for (const r of rows) {
    const met = r.met === null ? '–' : r.met ? '✅ pass' : '❌ fail';
    lines.push(`| ${[r.measure, r.genq, r.raw, r.ratio, r.target, met].map(cell).join(' | ')} |`);
  }
  return lines.join('\n');
}

function machineLines(m: Machine, quick: boolean, loadAtEnd: number, seconds: number): string {
  return [
    `- Date: ${m.date}${quick ? ' (`--quick`: small sizes, figures are indicative only)' : ''}`,
    `- CPU: ${m.cpu}, ${m.cores} cores; RAM ${m.ramGb.toFixed(1)} GB; ${m.os}`,
    `- Node.js ${m.node}, Redis ${m.redis}, PostgreSQL ${m.postgres}; everything on this one machine (loopback)`,
    `- Load average (1 min): ${m.loadAtStart.toFixed(1)} at the start, ${loadAtEnd.toFixed(1)} at the end; the run took ${Math.round(seconds)} s`,
  ].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const chosen = args.only ? SCENARIOS.filter((s) => args.only?.includes(s.id)) : SCENARIOS;
  const machine = await describeMachine();
  const started = performance.now();
  const rows: Row[] = [];
  const notes: string[] = [];
  const log = (message: string): void => {
    const t = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
    process.stderr.write(`[${t} s] ${message}\n`);
  };
  for (const scenario of chosen) {
    log(`${scenario.title}…`);
    try {
      const result = await scenario.run({ quick: args.quick, log });
      rows.push(...result.rows);
      notes.push(...result.notes);
    } catch (error) {
      log(
        `${scenario.id} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      rows.push({
        measure: scenario.title,
        genq: 'error',
        raw: '',
        ratio: '',
        target: '',
        met: false,
      });
      notes.push(`${scenario.title}: the scenario failed (${String(error)}).`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const results = [
    machineLines(machine, args.quick, os.loadavg()[0] ?? 0, seconds),
    '',
    table(rows),
    '',
    ...notes.map((n) => `- ${n}`),
  ].join('\n');
  const options = (await prettier.resolveConfig(DOC)) ?? {};
  const printed = await prettier.format(results, { ...options, parser: 'markdown' });
  process.stdout.write(`\n${printed}`);

  if (!args.write) return;
  let doc: string;
  try {
    doc = await readFile(DOC, 'utf8');
  } catch {
    doc = `# Benchmarks\n\n${START}\n${END}\n`;
  }
  const from = doc.indexOf(START);
  const to = doc.indexOf(END);
  if (from < 0 || to < from) throw new Error(`${DOC} lacks the ${START} / ${END} markers`);
  const next = `${doc.slice(0, from + START.length)}\n\n${printed.trim()}\n\n${doc.slice(to)}`;
  await writeFile(DOC, await prettier.format(next, { ...options, parser: 'markdown' }));
  log(`wrote ${path.relative(ROOT, DOC)}`);
}

await main();
process.exit(process.exitCode ?? 0);
