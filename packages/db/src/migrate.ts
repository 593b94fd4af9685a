// Applies and generates Prisma migrations with Prisma's WebAssembly schema engine
// (@prisma/schema-engine-wasm) driven through @prisma/adapter-pg, so no native engine
// binary is needed. The migrations folder and the `_prisma_migrations` table stay in
// Prisma's standard layout: `prisma migrate deploy` agrees with what this file does.
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
// The package entry imports its .wasm as an ES module, which Node 20 cannot load;
// import the generated bindings instead and instantiate the .wasm ourselves.
import * as bindings from '@prisma/schema-engine-wasm/schema_engine_bg';
import type {
  MigrationList,
  SchemaEngine,
  SchemaFilter,
} from '@prisma/schema-engine-wasm/schema_engine_bg';

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/genq';

const NO_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };
const LOCKFILE = 'migration_lock.toml';
const MIGRATION_FILE = 'migration.sql';
/** First key of our advisory lock (ASCII "genq"); the second is hashtext(database name). */
const MIGRATE_LOCK_CLASS = 0x67656e71;
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

type Log = (msg: string) => void;

export interface MigrateOptions {
  databaseUrl: string;
  migrationsDir: string;
  schemaPath: string;
  log?: Log;
}

/**
 * Creates the database named in `databaseUrl` if needed, then applies the pending
 * migrations of `migrationsDir`. Concurrent callers are serialized by an advisory lock.
 */
export async function migrateDatabase(opts: MigrateOptions): Promise<{ applied: string[] }> {
  const log = opts.log ?? (() => {});
  const database = databaseName(opts.databaseUrl);
  const [schema, migrationsList] = await Promise.all([
    readFile(opts.schemaPath, 'utf8'),
    readMigrationsList(opts.migrationsDir),
  ]);

  // Advisory locks are per database, so lock in the maintenance database: that also
  // covers the creation of the target database.
  const admin = new pg.Client({ connectionString: withDatabase(opts.databaseUrl, 'postgres') });
  await admin.connect();
  try {
    const lock = [MIGRATE_LOCK_CLASS, database];
    const { rows } = await admin.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked',
      lock,
    );
    if (!rows[0]?.locked) {
      log(`Waiting for another migration of "${database}" to finish`);
      await admin.query('SELECT pg_advisory_lock($1, hashtext($2))', lock);
    }
    try {
      await createDatabaseIfMissing(admin, database, log);
      // One connection: the engine takes its own session-level advisory lock
      // (the same one as the Prisma CLI) and must run everything on that session.
      const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 1 });
      try {
        const factory = new PrismaPg(pool);
        const applied = await withEngine(
          factory,
          [[opts.schemaPath, schema]],
          log,
          async (engine) => {
            const out = await engine.applyMigrations({ migrationsList, filters: NO_FILTER });
            return out.appliedMigrationNames;
          },
        );
        return { applied };
      } finally {
        await pool.end();
      }
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1, hashtext($2))', lock);
    }
  } finally {
    await admin.end();
  }
}

/**
 * SQL that turns the schema at `fromSchemaPath` (an empty database when absent) into
 * the one at `toSchemaPath`; '' when they are equivalent. Only the schema files are
 * compared, but the engine still needs a server to connect to (it asks the server
 * version): the maintenance database of `databaseUrl`'s server is used.
 */
export async function diffSchemas(opts: {
  fromSchemaPath?: string;
  toSchemaPath: string;
  databaseUrl?: string;
}): Promise<string> {
  const files = async (p: string) => ({ files: [{ path: p, content: await readFile(p, 'utf8') }] });
  const from = opts.fromSchemaPath
    ? { tag: 'schemaDatamodel' as const, ...(await files(opts.fromSchemaPath)) }
    : { tag: 'empty' as const };
  const to = { tag: 'schemaDatamodel' as const, ...(await files(opts.toSchemaPath)) };
  const url = withDatabase(opts.databaseUrl ?? DEFAULT_DATABASE_URL, 'postgres');
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    return await withEngine(
      new PrismaPg(pool),
      undefined,
      () => {},
      async (engine) => {
        const out = await engine.diff({
          from,
          to,
          script: true,
          exitCode: true,
          filters: NO_FILTER,
        });
        return out.exitCode === 0 ? '' : (out.stdout ?? '');
      },
    );
  } finally {
    await pool.end();
  }
}

/**
 * SQL for the next migration: the difference between the state the existing migrations
 * produce and `schemaPath`; '' when there is none. Like `prisma migrate dev`, it replays
 * the migrations in a temporary shadow database (created and dropped on the server of
 * `databaseUrl`).
 */
export async function diffMigrationsToSchema(opts: {
  databaseUrl: string;
  migrationsDir: string;
  schemaPath: string;
  log?: Log;
}): Promise<string> {
  const [content, migrationsList] = await Promise.all([
    readFile(opts.schemaPath, 'utf8'),
    readMigrationsList(opts.migrationsDir),
  ]);
  const adminUrl = withDatabase(opts.databaseUrl, 'postgres');
  const pool = new pg.Pool({ connectionString: adminUrl, max: 2 });
  const shadows = new ShadowDatabases(pool, adminUrl);
  try {
    const factory: SqlMigrationAwareDriverAdapterFactory = {
      provider: 'postgres',
      adapterName: '@prisma/adapter-pg',
      connect: () => new PrismaPg(pool).connect(),
      connectToShadowDb: () => shadows.create(),
    };
    return await withEngine(factory, undefined, opts.log ?? (() => {}), async (engine) => {
      const out = await engine.diff({
        from: { tag: 'migrations', ...migrationsList },
        to: { tag: 'schemaDatamodel', files: [{ path: opts.schemaPath, content }] },
        script: true,
        exitCode: true,
        filters: NO_FILTER,
      });
      return out.exitCode === 0 ? '' : (out.stdout ?? '');
    });
  } finally {
    await shadows.dropAll();
    await pool.end();
  }
}

/** Reads a migrations folder the way the Prisma CLI does. */
export async function readMigrationsList(migrationsDir: string): Promise<MigrationList> {
  const baseDir = path.resolve(migrationsDir);
  const lockContent = await readFile(path.join(baseDir, LOCKFILE), 'utf8').catch(() => null);
  const entries = await readdir(baseDir, { withFileTypes: true }).catch(() => []);
  const dirs = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b));
  const migrationDirectories = await Promise.all(
    dirs.map(async (dir) => ({
      path: dir,
      migrationFile: {
        path: MIGRATION_FILE,
        content: await readFile(path.join(baseDir, dir, MIGRATION_FILE), 'utf8').then(
          (value) => ({ tag: 'ok' as const, value }),
          (err: Error) => ({ tag: 'error' as const, value: err.message }),
        ),
      },
    })),
  );
  return {
    baseDir,
    lockfile: { path: LOCKFILE, content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

// ---------------------------------------------------------------------------
// Engine plumbing

let loaded: Promise<void> | undefined;
let runningEngines = 0;
const engineTimers = new Set<NodeJS.Timeout>();

/**
 * The engine arms timers (lock and connection timeouts) and has no way to clear them,
 * so a finished command can keep the process alive for seconds. Track them, and clear
 * the leftovers once no engine runs.
 */
function engineSetTimeout(callback: () => void, ms: number): NodeJS.Timeout {
  const timer = setTimeout(() => {
    engineTimers.delete(timer);
    callback();
  }, ms);
  engineTimers.add(timer);
  return timer;
}

function loadEngine(): Promise<void> {
  loaded ??= (async () => {
    const require = createRequire(import.meta.url);
    const bindingsPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const wasmPath = path.join(path.dirname(bindingsPath), 'schema_engine_bg.wasm');
    const imports: Record<string, WebAssembly.ImportValue> = { ...bindings };
    const setTimeoutImport = Object.keys(imports).find((k) => k.startsWith('__wbg_setTimeout_'));
    if (setTimeoutImport) imports[setTimeoutImport] = engineSetTimeout;
    const { instance } = await WebAssembly.instantiate(await readFile(wasmPath), {
      './schema_engine_bg.js': imports,
    });
    bindings.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
  })();
  return loaded;
}

async function withEngine<T>(
  factory: SqlMigrationAwareDriverAdapterFactory,
  datamodels: [string, string][] | undefined,
  log: Log,
  run: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  await loadEngine();
  const bound = bindMigrationAwareSqlAdapterFactory(factory);
  runningEngines++;
  let engine: SchemaEngine | undefined;
  try {
    engine = await bindings.SchemaEngine.new(
      { datamodels },
      (line: string) => forwardLog(line, log),
      bound,
    );
    return await run(engine);
  } catch (err) {
    // Errors thrown by the adapter reach us as "External error id#N"; recover the original.
    const id = /External error id#(\d+)/.exec(String(err))?.[1];
    const original = id === undefined ? undefined : bound.errorRegistry.consumeError(Number(id));
    throw original ? original.error : err;
  } finally {
    engine?.free();
    if (--runningEngines === 0) {
      for (const timer of engineTimers) clearTimeout(timer);
      engineTimers.clear();
    }
  }
}

/** The engine logs JSON lines (tracing events); pass on the messages worth reading. */
function forwardLog(line: string, log: Log): void {
  try {
    const event = JSON.parse(line) as { level?: string; fields?: { message?: string } };
    const message = event.fields?.message;
    if (message && event.level !== 'DEBUG' && event.level !== 'TRACE') log(message);
  } catch {
    log(line);
  }
}

// ---------------------------------------------------------------------------
// PostgreSQL helpers

function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!name) throw new Error(`No database name in ${redact(url)}`);
  return name;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

async function createDatabaseIfMissing(
  admin: pg.Client,
  database: string,
  log: Log,
): Promise<void> {
  const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [
    database,
  ]);
  if (rowCount) return;
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
    log(`Created database "${database}"`);
  } catch (err) {
    // Someone else created it meanwhile, which is fine: 42P04 duplicate_database, or
    // 23505 when the race is lost on pg_database's unique index.
    const code = (err as { code?: string }).code;
    if (code !== '42P04' && code !== '23505') throw err;
  }
}

/**
 * Shadow databases for the engine. adapter-pg's own connectToShadowDb cannot be used:
 * with a connection string it connects to the main database instead, and it drops the
 * shadow database before closing its pool.
 */
class ShadowDatabases {
  private readonly live = new Map<string, pg.Pool>();

  constructor(
    private readonly admin: pg.Pool,
    private readonly adminUrl: string,
  ) {}

  async create(): Promise<SqlDriverAdapter> {
    const name = `prisma_migrate_shadow_db_${randomUUID()}`;
    await this.admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    const pool = reportCharAsText(
      new pg.Pool({ connectionString: withDatabase(this.adminUrl, name), max: 1 }),
    );
    this.live.set(name, pool);
    const adapter = await new PrismaPg(pool).connect();
    adapter.dispose = () => this.drop(name);
    return adapter;
  }

  async dropAll(): Promise<void> {
    await Promise.all([...this.live.keys()].map((name) => this.drop(name)));
  }

  private async drop(name: string): Promise<void> {
    const pool = this.live.get(name);
    if (!pool) return;
    this.live.delete(name);
    await pool.end();
    await this.admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  }
}

/**
 * adapter-pg rejects result columns of PostgreSQL's internal "char" type, which the
 * engine's catalog introspection selects ("Column type 'char' could not be
 * deserialized"). pg already returns them as strings, so report them as text.
 */
function reportCharAsText(pool: pg.Pool): pg.Pool {
  const query = pool.query.bind(pool) as (
    config: pg.QueryConfig,
  ) => Promise<pg.QueryResult | pg.QueryResult[]>;
  pool.query = (async (config: pg.QueryConfig) => {
    const result = await query(config);
    for (const r of Array.isArray(result) ? result : [result]) {
      for (const field of r.fields ?? [])
        if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
    }
    return result;
  }) as typeof pool.query;
  return pool;
}
