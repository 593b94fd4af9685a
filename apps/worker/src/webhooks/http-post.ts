import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { classifyAddress, webhookHostname, type ResolvedAddress } from '@genq/queue';

/** Most of a receiver's answer body read (and discarded) before the connection is closed. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface WebhookPost {
  url: URL;
  /** The addresses checked for this attempt: the only ones the connection may use. */
  addresses: ResolvedAddress[];
  headers: Record<string, string>;
  body: string;
  /** For the whole exchange: connecting, sending, the answer's headers. */
  timeoutMs: number;
}

/** No answer: refused, reset, TLS failure, timeout. Worth another attempt. */
export class WebhookNetworkError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WebhookNetworkError';
  }
}

/**
 * Answers every lookup of the connection with the addresses already checked, so the socket
 * goes exactly where the SSRF check said it may (a second DNS answer is never used).
 */
function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const family = options.family === 4 || options.family === 6 ? options.family : undefined;
    const usable = family ? addresses.filter((a) => a.family === family) : addresses;
    const first = usable[0];
    if (!first) {
      const error: NodeJS.ErrnoException = new Error(`no checked IPv${family} address`);
      error.code = 'ENOTFOUND';
      callback(error, '', undefined);
      return;
    }
    if (options.all) callback(null, usable);
    else callback(null, first.address, first.family);
  };
}

/**
 * One POST, with node:http(s) rather than fetch: the DNS answer can be pinned (`lookup`),
 * redirects are never followed, and the status is all that is needed of the answer.
 * Resolves with the status code; rejects with WebhookNetworkError when no answer came.
 */
export function postWebhook(post: WebhookPost): Promise<{ status: number }> {
  const payload = Buffer.from(post.body, 'utf8');
  const client = post.url.protocol === 'https:' ? https : http;
  // A URL naming an address goes to that address as it was checked (normalised, so
  // ::ffff:a.b.c.d and friends cannot mean one thing to the check and another to connect).
  const host = webhookHostname(post.url);
  const literal = classifyAddress(host) ? post.addresses[0]?.address : undefined;
  return new Promise((resolve, reject) => {
    const request = client.request({
      protocol: post.url.protocol,
      hostname: literal ?? host,
      port: post.url.port || undefined,
      path: `${post.url.pathname}${post.url.search}`,
      method: 'POST',
      headers: {
        ...post.headers,
        Host: post.url.host,
        'Content-Length': String(payload.length),
      },
      agent: false,
      lookup: pinnedLookup(post.addresses),
    });
    const timer = setTimeout(() => {
      request.destroy(new WebhookNetworkError(`no answer within ${post.timeoutMs} ms`));
    }, post.timeoutMs);
    request.on('close', () => clearTimeout(timer));
    request.on('response', (response) => {
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > MAX_RESPONSE_BYTES) response.destroy();
      });
      response.on('error', () => undefined);
      resolve({ status: response.statusCode ?? 0 });
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        error instanceof WebhookNetworkError
          ? error
          : new WebhookNetworkError(
              error.code && !error.message.includes(error.code)
                ? `${error.message} (${error.code})`
                : error.message,
              { cause: error },
            ),
      );
    });
    request.end(payload);
  });
}
