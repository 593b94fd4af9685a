import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FakeRequest } from './fake-openai.ts';

/**
 * A local server speaking Cog's HTTP API (a model container built with Cog), scripted per
 * prediction: answered at once (a synchronous Cog container), or `starting` → `processing`
 * → an end across polls of `GET /predictions/{id}`; `failed` with an error; held until
 * cancelled with `POST /predictions/{id}/cancel`; or a failure of the connection or of
 * the server instead of an answer. Output files can be served from `/files/<name>` for
 * models that answer with URLs. Requests, predictions and cancellations are recorded.
 */

export type FakeCogStatus = 'starting' | 'processing';

export interface FakeCogPrediction {
  /** Statuses before the end: the creation answers the first, each poll the next. Empty: the creation answer is final. */
  statuses?: FakeCogStatus[];
  /** After the statuses, keep answering the last one until the prediction is cancelled. */
  hold?: boolean;
  /** Logs reported along with each status (a progress bar's lines). */
  logs?: string[];
  /** How it ends (unless cancelled first). */
  result:
    | { status: 'succeeded'; output: unknown }
    | { status: 'failed'; error: string }
    | { status: 'canceled' };
  /** Polls answered by dropping the connection, before the normal answers. */
  dropPolls?: number;
  /** Waits before answering the creation request. */
  delayMs?: number;
  metrics?: Record<string, unknown>;
}

export type FakeCogFailure =
  /** Destroys the socket without answering. */
  | 'reset'
  /** Headers with the full Content-Length and half of a prediction, then the socket goes. */
  | 'drop-mid-body'
  /** An nginx 502 page in text/html. */
  | 'html-502';

export type FakeCogStep =
  | FakeCogPrediction
  | FakeCogFailure
  /** A plain answer instead of a prediction (409 busy, 422 invalid input, 500...). */
  | { status: number; body?: unknown };

export interface FakeCogRecord {
  id: string;
  input: unknown;
  /** Polls answered so far. */
  polls: number;
  cancelled: boolean;
  script: FakeCogPrediction;
}

export interface FakeCog {
  /** `http://127.0.0.1:<port>`, the COG_IMAGE_URL / COG_MUSIC_URL shape. */
  url: string;
  requests: FakeRequest[];
  predictions: Map<string, FakeCogRecord>;
  /** Ids of the predictions a cancel request named, in order. */
  cancels: string[];
  /** Appends steps: each creation request takes the next one. */
  enqueue(...steps: FakeCogStep[]): void;
  pending(): number;
  /** Serves `bytes` at `/files/<name>` and returns its absolute URL. */
  file(name: string, bytes: Uint8Array, contentType: string): string;
  close(): Promise<void>;
}

/** A data URI of `bytes`, as Cog returns files by default. */
export function dataUri(bytes: Uint8Array, mime: string): string {
  return `data:${mime};base64,${Buffer.from(bytes).toString('base64')}`;
}

const NGINX_502 =
  '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>';

export async function startFakeCog(script: FakeCogStep[] = []): Promise<FakeCog> {
  const queue = [...script];
  const requests: FakeRequest[] = [];
  const predictions = new Map<string, FakeCogRecord>();
  const cancels: string[] = [];
  const files = new Map<string, { bytes: Uint8Array; type: string }>();
  const sockets = new Set<Socket>();
  const started = Date.now();

  const state = (record: FakeCogRecord, position: number): Record<string, unknown> => {
    const base = {
      id: record.id,
      input: record.input,
      created_at: new Date(started).toISOString(),
    };
    const statuses = record.script.statuses ?? [];
    const logs = record.script.logs?.slice(0, position + 1).join('\n') ?? '';
    if (record.cancelled) return { ...base, status: 'canceled', output: null, error: null, logs };
    if (position < statuses.length || (record.script.hold && statuses.length > 0)) {
      const status = statuses[Math.min(position, statuses.length - 1)];
      return { ...base, status, output: null, error: null, logs };
    }
    const result = record.script.result;
    return {
      ...base,
      status: result.status,
      output: result.status === 'succeeded' ? result.output : null,
      error: result.status === 'failed' ? result.error : null,
      logs,
      metrics: record.script.metrics ?? { predict_time: 0.5 },
    };
  };

  const handle = async (request: FakeRequest, res: ServerResponse): Promise<void> => {
    const url = new URL(request.path, 'http://fake');
    const parts = url.pathname.split('/').filter(Boolean);

    if (request.method === 'GET' && parts[0] === 'files' && parts[1]) {
      const file = files.get(decodeURIComponent(parts[1]));
      if (!file) return json(res, 404, { detail: 'Not Found' });
      res.writeHead(200, {
        'content-type': file.type,
        'content-length': String(file.bytes.length),
      });
      res.end(Buffer.from(file.bytes));
      return;
    }
    if (parts[0] !== 'predictions') return json(res, 404, { detail: 'Not Found' });

    if (request.method === 'POST' && parts.length === 1) {
      const step = queue.shift() ?? {
        status: 500,
        body: {
          detail: `fake-cog: no scripted prediction left for ${request.method} ${request.path}`,
        },
      };
      if (typeof step === 'string') return fail(step, res);
      if (!('result' in step)) return json(res, step.status, step.body ?? {});
      const body = (request.body ?? {}) as { id?: unknown; input?: unknown };
      const id = typeof body.id === 'string' && body.id !== '' ? body.id : randomUUID();
      const record: FakeCogRecord = {
        id,
        input: body.input,
        polls: 0,
        cancelled: false,
        script: step,
      };
      predictions.set(id, record);
      if (step.delayMs) await new Promise((resolve) => setTimeout(resolve, step.delayMs));
      const answer = state(record, 0);
      return json(res, (step.statuses ?? []).length > 0 ? 202 : 200, answer);
    }

    const record = parts[1] ? predictions.get(decodeURIComponent(parts[1])) : undefined;
    if (request.method === 'POST' && parts.length === 3 && parts[2] === 'cancel') {
      cancels.push(decodeURIComponent(parts[1] ?? ''));
      if (!record) return json(res, 404, { detail: 'Not Found' });
      record.cancelled = true;
      return json(res, 200, {});
    }
    if (request.method === 'GET' && parts.length === 2) {
      if (!record) return json(res, 404, { detail: 'Not Found' });
      if ((record.script.dropPolls ?? 0) > 0) {
        record.script.dropPolls = (record.script.dropPolls ?? 0) - 1;
        return fail('reset', res);
      }
      record.polls += 1;
      return json(res, 200, state(record, record.polls));
    }
    return json(res, 405, { detail: 'Method Not Allowed' });
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = undefined;
      }
      const request: FakeRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        raw,
        body,
        at: Date.now() - started,
      };
      requests.push(request);
      void handle(request, res).catch(() => res.destroy());
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    requests,
    predictions,
    cancels,
    enqueue: (...steps) => {
      queue.push(...steps);
    },
    pending: () => queue.length,
    file: (name, bytes, contentType) => {
      files.set(name, { bytes, type: contentType });
      return `${url}/files/${encodeURIComponent(name)}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(text);
}

function fail(failure: FakeCogFailure, res: ServerResponse): void {
  switch (failure) {
    case 'reset':
      res.socket?.destroy();
      return;
    case 'html-502':
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end(NGINX_502);
      return;
    case 'drop-mid-body': {
      const bytes = Buffer.from(JSON.stringify({ status: 'succeeded', output: 'x'.repeat(2000) }));
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': String(bytes.length),
      });
      res.write(bytes.subarray(0, bytes.length >> 1), () => {
        setTimeout(() => res.socket?.destroy(), 20);
      });
    }
  }
}
