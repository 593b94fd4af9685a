import { ApiClient } from './api-client.ts';
import { Output } from './output.ts';

/** Options every command accepts (before or after the command name). */
export interface GlobalOptions {
  url: string;
  apiKey?: string;
  json: boolean;
  quiet: boolean;
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
    onRetry: ({ reason, waitMs, method, path }) =>
      output.info(`genq: ${method} ${path}: ${reason}, retrying in ${seconds(waitMs)}`),
  });
  return { client, output, options };
}

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(ms < 10_000 ? 1 : 0))} s`;
