import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CLI_VERSION } from './api-client.ts';
import { batchCommand, type BatchOptions } from './commands/batch.ts';
import { cancelCommand } from './commands/cancel.ts';
import { downloadCommand, type DownloadOptions } from './commands/download.ts';
import { generatorsCommand } from './commands/generators.ts';
import {
  keysCreateCommand,
  keysListCommand,
  keysRevokeCommand,
  TIERS,
  type KeysCreateOptions,
  type KeysListOptions,
} from './commands/keys.ts';
import { statsCommand } from './commands/stats.ts';
import { submitCommand, type SubmitOptions } from './commands/submit.ts';
import { watchCommand } from './commands/watch.ts';
import { createContext, type Context, type GlobalOptions } from './context.ts';
import { EXIT, type ExitCode } from './errors.ts';
import { Output } from './output.ts';

const DEFAULT_URL = 'http://127.0.0.1:3000';

const EPILOGUE = `
Environment:
  GENQ_URL        server address (default ${DEFAULT_URL}), as --url
  GENQ_API_KEY    client API key, as --api-key
  GENQ_ADMIN_KEY  admin key for "genq keys", as --admin-key

Exit codes:
  0    success
  1    some job failed or was cancelled (the failed job ids are named on stderr
       and listed in --json output)
  2    usage error: bad flags or input file, or a request the API rejected
       (400 validation, 404 not found, 409 conflict)
  3    server or network error: unreachable, or 5xx / 429 after the retries
  4    authentication error: 401 or 403 (missing, bad or revoked key)
  130  interrupted (Ctrl-C); "genq batch" resumes where it stopped

With --json, stdout carries exactly one JSON document (the result, or
{"error": {...}} on failure); progress and messages go to stderr.

Examples:
  genq submit test-data --set rows=1000 --set format=csv --set 'fields=[{"name":"id","type":"uuid"}]' --wait --out results
  genq batch jobs.jsonl --wait --out results
  genq watch <job-id|batch-id>
`;

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new InvalidArgumentError('expected a number of seconds');
  }
  return seconds;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Runs a command action with the global options; the exit code lands in process.exitCode. */
function action<A extends unknown[]>(run: (ctx: Context, ...args: A) => Promise<ExitCode>) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args.at(-1) as Command;
    const globals = command.optsWithGlobals<GlobalOptions>();
    const options: GlobalOptions = {
      url: globals.url,
      apiKey: globals.apiKey,
      json: Boolean(globals.json),
      quiet: Boolean(globals.quiet),
      retryFor: globals.retryFor,
    };
    const output = new Output(options);
    try {
      const ctx = createContext(options, options.apiKey, output);
      process.exitCode = await run(ctx, ...(args.slice(0, -1) as A));
    } catch (error) {
      output.error(error);
      process.exitCode = (error as { exitCode?: number }).exitCode ?? EXIT.SERVER;
    }
  };
}

export function buildProgram(): Command {
  const program = new Command('genq');
  program
    .description('Submit generation jobs to genq, follow them live and fetch their results.')
    .version(CLI_VERSION, '-V, --version')
    .addOption(new Option('--url <url>', 'genq server').env('GENQ_URL').default(DEFAULT_URL))
    .addOption(new Option('--api-key <key>', 'client API key').env('GENQ_API_KEY'))
    .option('--json', 'machine output: one JSON document on stdout', false)
    .option('-q, --quiet', 'no progress or notes on stderr (errors still)', false)
    .addOption(
      new Option(
        '--retry-for <seconds>',
        'how long to keep retrying 429 / 503 answers, per request',
      )
        .default(300)
        .argParser(parseSeconds),
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .addHelpText('after', EPILOGUE);

  program
    .command('submit')
    .description('submit one job')
    .argument('<generator>', 'generator name (see genq generators)')
    .option('-i, --input <file>', 'JSON file with the input object ("-" reads stdin)')
    .option(
      '-s, --set <key=value>',
      'set an input field; dotted keys nest, values are JSON when valid',
      collect,
      [],
    )
    .addOption(
      new Option('-p, --priority <priority>', 'HIGH, NORMAL or LOW').argParser((v) =>
        v.toUpperCase(),
      ),
    )
    .option('-t, --target <target>', 'jobs naming the same target never run at the same time')
    .option('-w, --wait', 'follow the job until it ends; exit 1 if it fails', false)
    .option(
      '-o, --out <dir>',
      'with --wait: extract the result into <dir>/<job-id>/ (implies --wait)',
    )
    .option(
      '--idempotency-key <key>',
      'a repeated submission with the same key returns the first job',
    )
    .action(
      action((ctx, generator: string, options: SubmitOptions) =>
        submitCommand(ctx, generator, options),
      ),
    );

  program
    .command('batch')
    .description('submit every job of a JSONL file (or JSON array), resumably')
    .argument(
      '<file>',
      'one {"generator","input","priority"?,"target"?} per line, or a JSON array of them',
    )
    .option('-w, --wait', 'follow every job until all end; exit 1 if any fails', false)
    .option(
      '-o, --out <dir>',
      "extract each completed job's result into <dir>/<job-id>/ (implies --wait)",
    )
    .option(
      '--state <file>',
      'state file recording what was submitted (default: <file>.genq-state.json)',
    )
    .option('--batch-size <n>', 'requests per batch (the server allows 100 by default)', '100')
    .option('--download-concurrency <n>', 'results downloaded at once with --out', '8')
    .option(
      '--resubmit-pending',
      'send the batch an interrupted run may have sent without checking the server',
    )
    .action(action((ctx, file: string, options: BatchOptions) => batchCommand(ctx, file, options)));

  program
    .command('watch')
    .description(
      'follow a job or batch live until it ends (exit 0 completed, 1 failed or cancelled)',
    )
    .argument('<id>', 'job id or batch id')
    .action(action((ctx, id: string) => watchCommand(ctx, id)));

  program
    .command('download')
    .description("save a completed job's (or batch's) result ZIP")
    .argument('<id>', 'job id or batch id')
    .option('-o, --out <dir>', 'folder to write into', '.')
    .option('-x, --extract', 'extract into <out>/<id>/ instead of saving the ZIP', false)
    .action(
      action((ctx, id: string, options: DownloadOptions) => downloadCommand(ctx, id, options)),
    );

  program
    .command('cancel')
    .description('cancel a waiting or running job')
    .argument('<job-id>')
    .action(action((ctx, id: string) => cancelCommand(ctx, id)));

  program
    .command('stats')
    .description('queue statistics: pending, processing, throughput, workers')
    .action(action((ctx) => statsCommand(ctx)));

  program
    .command('generators')
    .description('list the generators and their input fields')
    .action(action((ctx) => generatorsCommand(ctx)));

  const keys = program
    .command('keys')
    .description('manage client API keys (needs the admin key)')
    .addOption(new Option('--admin-key <key>', 'admin key').env('GENQ_ADMIN_KEY'));
  keys
    .command('create')
    .description('create a key for a client (the client is created if needed); prints the key once')
    .requiredOption('--client <name>', 'client name (or id)')
    .addOption(new Option('--tier <tier>', 'tier of a new client').choices(TIERS))
    .option('--name <label>', 'a label for the key')
    .action(
      action((ctx, options: KeysCreateOptions) =>
        keysCreateCommand(ctx, { ...options, adminKey: keysAdminKey(keys) }),
      ),
    );
  keys
    .command('list')
    .description('list keys (prefix only, never the secret)')
    .option('--client <name>', 'only this client’s keys')
    .action(
      action((ctx, options: KeysListOptions) =>
        keysListCommand(ctx, { ...options, adminKey: keysAdminKey(keys) }),
      ),
    );
  keys
    .command('revoke')
    .description('revoke a key at once')
    .argument('<key-id>')
    .action(
      action((ctx, keyId: string) =>
        keysRevokeCommand(ctx, keyId, { adminKey: keysAdminKey(keys) }),
      ),
    );

  return program;
}

function keysAdminKey(keys: Command): string | undefined {
  return keys.opts<{ adminKey?: string }>().adminKey;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end with 0; every parsing problem is a usage error.
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    new Output({ json: argv.includes('--json'), quiet: false }).error(error);
    return EXIT.SERVER;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
}

const code = await main(process.argv);
process.exitCode = code;
// Idle keep-alive sockets must not hold the process; pipes to stdout/stderr are flushed by now.
setTimeout(() => process.exit(code), 200).unref();
