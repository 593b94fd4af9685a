import { z } from 'zod';
import type { Logger } from '@genq/core';
import { createProviderClient, type RetryInfo } from '../providers/http-client.ts';
import { LLM_DEFAULTS, type LlmSettings } from './settings.ts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  max_tokens?: number;
  signal?: AbortSignal;
  onRetry?: (info: RetryInfo) => void;
  /** Overrides the settings' timeout (a short call for value pools, say). */
  timeoutMs?: number;
  /** Overrides the settings' retries. */
  maxRetries?: number;
}

export interface ChatUsage {
  prompt: number | null;
  completion: number | null;
  total: number | null;
}

export interface ChatReply {
  /** The assistant's text ('' when it sent none). */
  content: string;
  /** Set when the model declined (OpenAI's `message.refusal`). */
  refusal: string | null;
  finishReason: string | null;
  /** The model that answered, as the provider reports it (may differ from the one asked). */
  model: string | null;
  id: string | null;
  usage: ChatUsage | null;
  attempts: number;
  durationMs: number;
}

const contentPart = z.object({ type: z.string().optional(), text: z.string().optional() });

/** Lenient on purpose: providers add fields and leave some out. */
const chatCompletionSchema = z.object({
  id: z.string().nullish(),
  model: z.string().nullish(),
  choices: z.array(
    z.object({
      message: z
        .object({
          content: z.union([z.string(), z.array(contentPart)]).nullish(),
          refusal: z.string().nullish(),
        })
        .nullish(),
      finish_reason: z.string().nullish(),
    }),
  ),
  usage: z
    .object({
      prompt_tokens: z.number().nullish(),
      completion_tokens: z.number().nullish(),
      total_tokens: z.number().nullish(),
    })
    .nullish(),
});

export interface ChatClient {
  complete(request: ChatRequest): Promise<ChatReply>;
}

/**
 * Chat completions on an OpenAI-compatible API (OpenAI, OpenRouter, vLLM, Ollama, LM Studio)
 * through the shared provider client. Also usable by other generators that need a model's
 * help (hybrid test data). Throws if `settings.baseUrl` is unset: check it first.
 */
export function createChatClient(settings: LlmSettings, logger: Logger): ChatClient {
  if (!settings.baseUrl) throw new Error('LLM base URL is not set');
  const client = createProviderClient({
    name: 'LLM provider',
    baseUrl: settings.baseUrl,
    apiKey: settings.apiKey,
    headers: settings.headers,
    timeoutMs: settings.timeoutMs ?? LLM_DEFAULTS.timeoutMs,
    maxRetries: settings.maxRetries ?? LLM_DEFAULTS.maxRetries,
    baseDelayMs: settings.baseDelayMs ?? LLM_DEFAULTS.baseDelayMs,
    maxDelayMs: settings.maxDelayMs ?? LLM_DEFAULTS.maxDelayMs,
    logger,
    sleep: settings.sleep,
  });

  return {
    async complete(request) {
      const body: Record<string, unknown> = {
        model: request.model,
        messages: request.messages,
        stream: false,
      };
      if (request.temperature !== undefined) body.temperature = request.temperature;
      if (request.max_tokens !== undefined) body.max_tokens = request.max_tokens;
      const response = await client.requestJson({
        method: 'POST',
        path: '/chat/completions',
        body,
        schema: chatCompletionSchema,
        errorInBody: true,
        signal: request.signal,
        onRetry: request.onRetry,
        timeoutMs: request.timeoutMs,
        maxRetries: request.maxRetries,
      });
      const data = response.data;
      const choice = data.choices[0];
      if (!choice) {
        // OpenRouter does this when the upstream model failed; another attempt may work.
        throw new Error(`LLM provider returned no choices for model ${request.model}`);
      }
      const raw = choice.message?.content;
      const content =
        typeof raw === 'string' ? raw : (raw ?? []).map((part) => part.text ?? '').join('');
      const usage = data.usage
        ? {
            prompt: data.usage.prompt_tokens ?? null,
            completion: data.usage.completion_tokens ?? null,
            total: data.usage.total_tokens ?? null,
          }
        : null;
      return {
        content,
        refusal: choice.message?.refusal ?? null,
        finishReason: choice.finish_reason ?? null,
        model: data.model ?? null,
        id: data.id ?? null,
        usage,
        attempts: response.attempts,
        durationMs: response.durationMs,
      };
    },
  };
}
