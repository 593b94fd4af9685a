import type { Sleep } from '../providers/http-client.ts';

/**
 * How the `llm` generator reaches its provider. The worker's entry fills this from the
 * environment (LLM_BASE_URL, LLM_API_KEY...); generators never read process.env.
 */
export interface LlmSettings {
  /** OpenAI-compatible API root, e.g. `https://openrouter.ai/api/v1`. Unset: not configured. */
  baseUrl?: string;
  apiKey?: string;
  /** Used when a job names no model. */
  defaultModel?: string;
  /** Extra headers, e.g. OpenRouter's `HTTP-Referer` and `X-Title`. */
  headers?: Record<string, string>;
  /** Per attempt (a long reply takes a while without streaming). Default 300,000. */
  timeoutMs?: number;
  /** Retries within one job attempt. Default 3. */
  maxRetries?: number;
  /** Default 1,000. */
  baseDelayMs?: number;
  /** Default 30,000. */
  maxDelayMs?: number;
  /** Files one reply may produce with `files: true`. Default 200. */
  maxFiles?: number;
  /** Bytes those files may hold together. Default 20 MiB. */
  maxTotalFileBytes?: number;
  /** For tests: replaces the wait between retries. */
  sleep?: Sleep;
}

export const LLM_DEFAULTS = {
  timeoutMs: 300_000,
  maxRetries: 3,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxFiles: 200,
  maxTotalFileBytes: 20 * 1024 * 1024,
} as const;

export const LLM_NOT_CONFIGURED = 'LLM is not configured: set LLM_BASE_URL (and LLM_API_KEY)';
