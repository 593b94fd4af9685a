import { ApiClient } from './api-client.ts';
import { Output } from './output.ts';

/** Options every command accepts (before or after the command name). */
export interface GlobalOptions {
  url: string;
  apiKey?: string;
  json: boolean;
  quiet: boolean;
  /** Seconds 429 / 503 answers are retried per request (default 300). */
  retryFor?: number;
}

export interface Context {
  client: ApiClient;
  output: Output;
  options: GlobalOptions;
}

export function createContext(
  options: GlobalOptions,
  apiKey = options.apiKey,
  output = new Output({ json: options.json, quiet: options.quiet }),
): Context {
  const client = new ApiClient({
    baseUrl: options.url,
    apiKey,
    retryBudgetMs: (options.retryFor ?? 300) * 1000,
    onRetry: ({ reason, waitMs, method, path }) =>
      output.info(`genq: ${method} ${path}: ${reason}, retrying in ${seconds(waitMs)}`),
  });
  return { client, output, options };
}

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(ms < 10_000 ? 1 : 0))} s`;
