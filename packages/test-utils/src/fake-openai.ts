import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A local OpenAI-compatible server that misbehaves on purpose. Each request takes the next
 * step of the script: a plain response, or a failure seen in the wild (an HTML 502 from a
 * proxy, a 200 in text/plain, a connection dropped mid-body, a 429, a server that never
 * answers). Requests are recorded for assertions.
 */
export interface FakeResponse {
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON (with `application/json`, unless set). */
  body?: unknown;
  /** Waits before answering. */
  delayMs?: number;
}

export type FakeSpecial =
  /** Sends the headers (with the full Content-Length) and half of the JSON, then destroys the socket. */
  | 'drop-mid-body'
  /** Never answers; the socket stays open until the client gives up or the server closes. */
  | 'hang'
  /** Destroys the socket without answering (ECONNRESET / socket hang up on the client). */
  | 'reset'
  /** An nginx-style 502 page in text/html. */
  | 'html-502'
  /** A 200 in text/plain, as a proxy sends when the upstream is gone. */
  | 'text-plain-200'
  /** 429 with `Retry-After: 1`. */
  | '429';

export type FakeStep =
  | FakeSpecial
  | FakeResponse
  | { action: 'drop-mid-body'; status?: number; body?: unknown }
  | { action: '429'; retryAfter?: string | number; body?: unknown }
  | ((request: FakeRequest) => FakeStep | Promise<FakeStep>);

export interface FakeRequest {
  method: string;
  /** Path and query, e.g. `/v1/chat/completions`. */
  path: string;
  headers: IncomingMessage['headers'];
  /** The body as text. */
  raw: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  body: unknown;
  /** Milliseconds since the server started. */
  at: number;
}

export interface FakeOpenAi {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `http://127.0.0.1:<port>/v1`, the usual LLM_BASE_URL shape. */
  baseUrl: string;
  requests: FakeRequest[];
  /** Appends steps to the script. */
  enqueue(...steps: FakeStep[]): void;
  /** Steps not used yet. */
  pending(): number;
  close(): Promise<void>;
}

export interface FakeOpenAiOptions {
  /** Answer once the script is used up; default: a 500 naming the unexpected request. */
  fallback?: FakeStep;
}

export const NGINX_502_PAGE =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

export const PROXY_TEXT_200 = 'upstream connect error or disconnect/reset before headers';

/** A chat completion body as OpenAI and OpenRouter send it. */
export function fakeChatCompletion(
  content: string,
  options: {
    model?: string;
    finish_reason?: string;
    usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  } = {},
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: options.model ?? 'fake-model',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content },
        finish_reason: options.finish_reason ?? 'stop',
      },
    ],
  };
  if (options.usage !== null) {
    body.usage = options.usage ?? { prompt_tokens: 12, completion_tokens: 34, total_tokens: 46 };
  }
  return body;
}

export async function startFakeOpenAi(
  script: FakeStep[] | ((request: FakeRequest) => FakeStep | Promise<FakeStep>) = [],
  options: FakeOpenAiOptions = {},
): Promise<FakeOpenAi> {
  const queue: FakeStep[] = typeof script === 'function' ? [] : [...script];
  const handler = typeof script === 'function' ? script : undefined;
  const requests: FakeRequest[] = [];
  const sockets = new Set<Socket>();
  const started = Date.now();

  const server = createServer((req, res) => {
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
      const step: FakeStep = handler ??
        queue.shift() ??
        options.fallback ?? {
          status: 500,
          body: {
            error: {
              message: `fake-openai: no scripted response left for ${request.method} ${request.path}`,
            },
          },
        };
      void play(step, request, res).catch(() => res.destroy());
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
    baseUrl: `${url}/v1`,
    requests,
    enqueue: (...steps) => {
      queue.push(...steps);
    },
    pending: () => queue.length,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      }),
  };
}

async function play(step: FakeStep, request: FakeRequest, res: ServerResponse): Promise<void> {
  if (typeof step === 'function') {
    await play(await step(request), request, res);
    return;
  }
  if (typeof step === 'string') {
    switch (step) {
      case 'hang':
        return;
      case 'reset':
        res.socket?.destroy();
        return;
      case 'drop-mid-body':
        return play({ action: 'drop-mid-body' }, request, res);
      case '429':
        return play({ action: '429', retryAfter: 1 }, request, res);
      case 'html-502':
        return play(
          { status: 502, headers: { 'content-type': 'text/html' }, body: NGINX_502_PAGE },
          request,
          res,
        );
      case 'text-plain-200':
        return play(
          { status: 200, headers: { 'content-type': 'text/plain' }, body: PROXY_TEXT_200 },
          request,
          res,
        );
    }
  }
  if ('action' in step) {
    if (step.action === 'drop-mid-body') {
      const text = JSON.stringify(
        step.body ?? fakeChatCompletion('this reply is cut off '.repeat(50)),
      );
      const bytes = Buffer.from(text);
      res.writeHead(step.status ?? 200, {
        'content-type': 'application/json',
        'content-length': String(bytes.length),
      });
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => {
        // Let the half body leave before the connection goes.
        setTimeout(() => res.socket?.destroy(), 20);
      });
      return;
    }
    const body = step.body ?? {
      error: { message: 'Rate limit exceeded: too many requests', code: 429 },
    };
    return send(res, {
      status: 429,
      headers: step.retryAfter === undefined ? {} : { 'retry-after': String(step.retryAfter) },
      body,
    });
  }
  if (step.delayMs) await new Promise((resolve) => setTimeout(resolve, step.delayMs));
  send(res, step);
}

function send(res: ServerResponse, response: FakeResponse): void {
  const isText = typeof response.body === 'string';
  const text =
    response.body === undefined
      ? ''
      : isText
        ? (response.body as string)
        : JSON.stringify(response.body);
  const headers: Record<string, string> = {
    ...(response.body !== undefined && !isText ? { 'content-type': 'application/json' } : {}),
    ...response.headers,
  };
  res.writeHead(response.status ?? 200, headers);
  res.end(text);
}
