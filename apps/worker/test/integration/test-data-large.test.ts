import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { startTestStack, waitUntil, type TestStack } from '@genq/test-utils';

/**
 * The bar for test-data, through the whole stack (HTTP, queue, worker, ZIP): a
 * 1,000,000-row, 10-field CSV job completes with exactly 1,000,000 data rows, and the same
 * input and seed give the same bytes. The result is streamed to disk and its CSV entry is
 * read as a stream (~120 MB uncompressed), counted and hashed without holding it.
 */

const ROWS = 1_000_000;
const FIELDS = [
  { name: 'id', type: 'uuid' },
  { name: 'name', type: 'name' },
  { name: 'email', type: 'email' },
  { name: 'age', type: 'integer', min: 18, max: 90 },
  { name: 'balance', type: 'number', min: -500, max: 10_000, decimals: 2 },
  { name: 'active', type: 'boolean', true_rate: 0.8 },
  { name: 'signed_up', type: 'date', min: '2015-01-01', max: '2025-12-31' },
  { name: 'last_login', type: 'datetime' },
  { name: 'plan', type: 'enum', values: ['free', 'pro', 'team'], weights: [6, 3, 1] },
  { name: 'city', type: 'city', nullable: 0.05 },
];
const JOB = {
  generator: 'test-data',
  input: { table: 'customers', rows: ROWS, format: 'csv', seed: 20_240_601, fields: FIELDS },
};

const QUOTE = 0x22;
const LF = 0x0a;

interface CsvDigest {
  /** Line ends outside quoted fields: the header and every data row. */
  records: number;
  header: string;
  sha256: string;
  bytes: number;
  endsWithCrLf: boolean;
}

/** Counts RFC 4180 records (a quoted field may hold line breaks) and hashes the bytes, streaming. */
async function digestCsv(stream: Readable): Promise<CsvDigest> {
  const hash = createHash('sha256');
  let records = 0;
  let quoted = false;
  let bytes = 0;
  let head = '';
  let tail = Buffer.alloc(0);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
    if (records === 0 && head.length < 4096) head += chunk.subarray(0, 4096).toString('utf8');
    // Jumps from quote to line end with indexOf (native) instead of visiting every byte.
    let at = 0;
    let quote = chunk.indexOf(QUOTE);
    for (;;) {
      if (quoted) {
        if (quote < 0) break;
        quoted = false;
        at = quote + 1;
        quote = chunk.indexOf(QUOTE, at);
        continue;
      }
      const lf = chunk.indexOf(LF, at);
      if (lf >= 0 && (quote < 0 || lf < quote)) {
        records += 1;
        at = lf + 1;
      } else if (quote >= 0) {
        quoted = true;
        at = quote + 1;
        quote = chunk.indexOf(QUOTE, at);
      } else break;
    }
    tail = Buffer.concat([tail, chunk.subarray(-2)]).subarray(-2);
  }
  return {
    records,
    header: head.slice(0, head.indexOf('\r\n')),
    sha256: hash.digest('hex'),
    bytes,
    endsWithCrLf: tail.toString('latin1') === '\r\n',
  };
}

/** Streams one entry of the ZIP on disk through `read`, and reads the small ones whole. */
async function readResult(file: string): Promise<{ csv: CsvDigest; texts: Map<string, string> }> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true });
  const texts = new Map<string, string>();
  let csv: CsvDigest | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        zip
          .openReadStreamPromise(entry)
          .then(async (stream) => {
            if (entry.fileName.endsWith('.csv')) {
              csv = await digestCsv(stream);
            } else {
              const chunks: Buffer[] = [];
              for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
              texts.set(entry.fileName, Buffer.concat(chunks).toString('utf8'));
            }
            zip.readEntry();
          })
          .catch(reject);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  if (!csv) throw new Error(`no CSV in the result (entries: ${[...texts.keys()].join(', ')})`);
  return { csv, texts };
}

describe('a 1,000,000-row test-data job through the whole stack', () => {
  let stack: TestStack;
  let dir: string;
  beforeAll(async () => {
    stack = await startTestStack({ workers: 1, concurrency: 2 });
    dir = await mkdtemp(join(tmpdir(), 'genq-large-'));
  });
  afterAll(async () => {
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const download = async (id: string): Promise<string> => {
    const response = await fetch(`${stack.url}/api/v1/jobs/${id}/result`, {
      headers: stack.authHeaders,
    });
    expect(response.status).toBe(200);
    expect(response.body).not.toBeNull();
    const file = join(dir, `${id}.zip`);
    await pipeline(
      Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>),
      createWriteStream(file),
    );
    return file;
  };

  it('writes exactly 1,000,000 data rows, and the same input and seed give identical CSV bytes', async () => {
    // Both at once: the worker runs two jobs side by side, one per core.
    const ids: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const accepted = await stack.http('POST', '/api/v1/jobs', JOB);
      expect(accepted.status).toBe(202);
      ids.push((accepted.body as { id: string }).id);
    }
    let last: Record<string, unknown>[] = [];
    const views = await waitUntil(
      async () => {
        last = await Promise.all(
          ids.map(async (id) => (await stack.http('GET', `/api/v1/jobs/${id}`)).body),
        );
        return last;
      },
      (jobs) => {
        const ended = jobs.find((job) => job.status === 'failed' || job.status === 'cancelled');
        if (ended) {
          throw new Error(`job ended ${String(ended.status)}: ${JSON.stringify(ended.error)}`);
        }
        return jobs.every((job) => job.status === 'completed');
      },
      // ~15 s each on an idle 2-core machine; generous for a busy one.
      300_000,
      250,
    ).catch((error: Error) => {
      const where = last.map((job) => `${String(job.status)} ${String(job.progress)}%`);
      throw new Error(`${error.message} (jobs: ${where.join(', ')})`);
    });
    for (const view of views)
      expect(view).toMatchObject({ status: 'completed', progress: 100, attempts: 1 });

    const [first, second] = await Promise.all(
      ids.map(async (id) => readResult(await download(id))),
    );
    for (const result of [first!, second!]) {
      expect(result.csv.header).toBe(FIELDS.map((f) => f.name).join(','));
      expect(result.csv.records).toBe(ROWS + 1);
      expect(result.csv.endsWithCrLf).toBe(true);
      const metadata = JSON.parse(result.texts.get('metadata.json') ?? '{}') as Record<
        string,
        unknown
      >;
      expect(metadata).toMatchObject({
        seed: JOB.input.seed,
        seed_source: 'input',
        total_rows: ROWS,
        tables: [{ name: 'customers', file: 'customers.csv', rows: ROWS }],
      });
    }
    expect(first!.csv.bytes).toBeGreaterThan(50 * 1024 * 1024);
    expect(second!.csv.bytes).toBe(first!.csv.bytes);
    expect(second!.csv.sha256).toBe(first!.csv.sha256);
  }, 420_000);
});
