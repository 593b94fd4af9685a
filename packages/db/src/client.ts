import v8 from 'node:v8';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client.ts';

export type Database = PrismaClient;

export interface DatabaseOptions {
  databaseUrl: string;
  /** Connections in this process's pool. */
  poolSize?: number;
}

/** Prisma over the `pg` driver adapter: no native engine, nothing downloaded at run time. */
export function createDatabase(options: DatabaseOptions): Database {
  keepWasmOnBaselineCompiler();
  const adapter = new PrismaPg({
    connectionString: options.databaseUrl,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
  });
  return new PrismaClient({ adapter });
}

/**
 * Prisma's query compiler is WebAssembly, compiled when the first query runs. V8 would also
 * recompile its busy functions with its optimizing tier (TurboFan), which keeps about 40–60 MB
 * per process for code that runs once per query shape, since Prisma caches the plans. The
 * baseline tier (Liftoff) is enough, and compiles faster. Process-wide, and idempotent; it
 * only affects WebAssembly compiled after it (genq compiles none before its database).
 */
function keepWasmOnBaselineCompiler(): void {
  v8.setFlagsFromString('--liftoff-only');
}

/**
 * True for a unique-constraint violation, from the ORM (P2002) or from a statement written in
 * SQL (P2010, whose driver error carries PostgreSQL's code 23505).
 */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, meta } = error as {
    code?: unknown;
    meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } };
  };
  return (
    code === 'P2002' ||
    (code === 'P2010' && meta?.driverAdapterError?.cause?.originalCode === '23505')
  );
}

/** One round trip through the pool: health checks, and a first query that warms the client. */
export async function pingDatabase(db: Database): Promise<void> {
  await db.$queryRaw`SELECT 1`;
}
