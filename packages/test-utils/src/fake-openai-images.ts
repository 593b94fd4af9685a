import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FakeRequest } from './fake-openai.ts';

/**
 * A local OpenAI-compatible images API: `POST /v1/images/generations` answers `n` images as
 * `b64_json` or, with `response_format: "url"`, as URLs served by the same server under
 * `/files/`. Failures can be scripted before the normal answers (a dropped connection, an
 * HTML 502, an error status) for the generations and, separately, for the downloads.
 * Requests are recorded.
 */

/** A 2×2 opaque grey PNG. */
export const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAE0lEQVR4AWM8ceLEfwYgYGKAAgAzqANb9sLbGgAAAABJRU5ErkJggg==',
  'base64',
);

export type FakeImagesFailure =
  'reset' | 'html-502' | { status: number; body?: unknown; headers?: Record<string, string> };

export interface FakeOpenAiImagesOptions {
  /** The bytes of image `index` (0-based, counted over the server's life). Default TINY_PNG. */
  image?: (index: number, request: FakeRequest) => Uint8Array;
  /** Content type of downloads. Default image/png. */
  contentType?: string;
  /** Answers to the first generation requests, in place of images. */
  failures?: FakeImagesFailure[];
  /** Answers to the first downloads, in place of the file. */
  downloadFailures?: FakeImagesFailure[];
  /** Answer with URLs even when base64 is asked (servers that ignore response_format). */
  alwaysUrl?: boolean;
  /** Images per answer at most, whatever `n` asked (servers that cap it). */
  maxPerAnswer?: number;
}

export interface FakeOpenAiImages {
  url: string;
  /** `http://127.0.0.1:<port>/v1`, the IMAGE_API_BASE_URL shape. */
  baseUrl: string;
  requests: FakeRequest[];
  /** Requests to `/images/generations` only. */
  generations(): FakeRequest[];
  /** Paths downloaded under /files/. */
  downloads: string[];
  close(): Promise<void>;
}

export async function startFakeOpenAiImages(
  options: FakeOpenAiImagesOptions = {},
): Promise<FakeOpenAiImages> {
  const failures = [...(options.failures ?? [])];
  const downloadFailures = [...(options.downloadFailures ?? [])];
  const requests: FakeRequest[] = [];
  const downloads: string[] = [];
  const files = new Map<string, Uint8Array>();
  const sockets = new Set<Socket>();
  const started = Date.now();
  let produced = 0;
  let url = '';

  const handle = (request: FakeRequest, res: ServerResponse): void => {
    const path = new URL(request.path, 'http://fake').pathname;
    if (request.method === 'GET' && path.startsWith('/files/')) {
      downloads.push(path);
      const failure = downloadFailures.shift();
      if (failure) return fail(failure, res);
      const bytes = files.get(path);
      if (!bytes) return json(res, 404, { error: { message: 'no such file' } });
      res.writeHead(200, {
        'content-type': options.contentType ?? 'image/png',
        'content-length': String(bytes.length),
      });
      res.end(Buffer.from(bytes));
      return;
    }
    if (request.method !== 'POST' || path !== '/v1/images/generations') {
      return json(res, 404, { error: { message: `no route ${request.method} ${path}` } });
    }
    const failure = failures.shift();
    if (failure) return fail(failure, res);
    const body = (request.body ?? {}) as {
      n?: unknown;
      response_format?: unknown;
      prompt?: unknown;
    };
    if (typeof body.prompt !== 'string' || body.prompt === '') {
      return json(res, 400, {
        error: { message: 'prompt is required', type: 'invalid_request_error' },
      });
    }
    const asked = typeof body.n === 'number' ? body.n : 1;
    const n = Math.min(asked, options.maxPerAnswer ?? asked);
    const asUrl = options.alwaysUrl || body.response_format === 'url';
    const data = Array.from({ length: n }, () => {
      const index = produced;
      produced += 1;
      const bytes = options.image?.(index, request) ?? TINY_PNG;
      if (asUrl) {
        const file = `/files/image-${index}.png`;
        files.set(file, bytes);
        return {
          url: `${url}${file}?sig=secret-token`,
          revised_prompt: `${body.prompt} (revised)`,
        };
      }
      return {
        b64_json: Buffer.from(bytes).toString('base64'),
        revised_prompt: `${body.prompt} (revised)`,
      };
    });
    json(res, 200, { created: Math.floor(Date.now() / 1000), data });
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
      try {
        handle(request, res);
      } catch {
        res.destroy();
      }
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
  url = `http://127.0.0.1:${port}`;

  return {
    url,
    baseUrl: `${url}/v1`,
    requests,
    generations: () => requests.filter((r) => r.path.endsWith('/images/generations')),
    downloads,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function fail(failure: FakeImagesFailure, res: ServerResponse): void {
  if (failure === 'reset') {
    res.socket?.destroy();
    return;
  }
  if (failure === 'html-502') {
    res.writeHead(502, { 'content-type': 'text/html' });
    res.end('<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>');
    return;
  }
  const isText = typeof failure.body === 'string';
  res.writeHead(failure.status, {
    'content-type': isText ? 'text/plain' : 'application/json',
    ...failure.headers,
  });
  res.end(isText ? (failure.body as string) : JSON.stringify(failure.body ?? {}));
}
