import { performance } from 'node:perf_hooks';
import { UnrecoverableGenerationError } from '@genq/core';
import { satAdd, satMul } from '../cost.ts';
import {
  defineGenerator,
  type GenerationContext,
  type Generator,
  type WorstCase,
} from '../generator.ts';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../providers/http-client.ts';
import { createChatClient, type ChatMessage, type ChatReply } from './chat.ts';
import { extractFiles, type ExtractResult } from './files.ts';
import {
  ESTIMATE_DEFAULT_TOKENS,
  ESTIMATE_TOKENS_PER_SECOND,
  llmInputSchema,
  type LlmInput,
} from './input.ts';
import { LLM_DEFAULTS, LLM_NOT_CONFIGURED, type LlmSettings } from './settings.ts';

export const REPLY_FILE = 'reply.md';
export const METADATA_FILE = 'metadata.json';

/** Overall progress (0–100) at which each stage starts. */
const PROGRESS = { encoding: 2, generating: 5, saving: 90 } as const;
const TICK_MS = 1000;

/** metadata.json beside the files it lists (a path and a size each). */
const METADATA_BYTES = 64 * 1024;
const METADATA_BYTES_PER_FILE = 1024;

/**
 * The most one job writes and asks for: the reply (no more than a provider response is
 * read), the files cut from it (within the reply, and the files limit), metadata.json.
 * Work is provider requests: one, plus the retries of an attempt.
 */
export function llmWorstCase(settings: LlmSettings, input: LlmInput): WorstCase {
  const reply = DEFAULT_MAX_RESPONSE_BYTES;
  const maxFiles = settings.maxFiles ?? LLM_DEFAULTS.maxFiles;
  const files = input.files
    ? Math.min(reply, settings.maxTotalFileBytes ?? LLM_DEFAULTS.maxTotalFileBytes)
    : 0;
  const metadata = satAdd(
    METADATA_BYTES,
    input.files ? satMul(maxFiles, METADATA_BYTES_PER_FILE) : 0,
  );
  const outputBytes = satAdd(satAdd(reply, files), metadata);
  const work = 1 + (settings.maxRetries ?? LLM_DEFAULTS.maxRetries);
  return {
    outputBytes,
    work,
    parts: [{ path: input.files ? ['files'] : ['max_tokens'], outputBytes, work }],
  };
}

export function estimateLlmSeconds(input: Pick<LlmInput, 'max_tokens'>): number {
  return (input.max_tokens ?? ESTIMATE_DEFAULT_TOKENS) / ESTIMATE_TOKENS_PER_SECOND + 2;
}

/**
 * The `llm` generator: one chat completion on an OpenAI-compatible API. Writes the reply,
 * a metadata file (model, token usage, timings, attempts) and, with `files: true`, each
 * fenced code block named by a path as a file. Provider settings come from `settings`;
 * without a base URL a job fails at once, without retries.
 */
export function createLlmGenerator(settings: LlmSettings = {}): Generator<LlmInput> {
  return defineGenerator<LlmInput>({
    name: 'llm',
    description:
      'A reply from a language model on an OpenAI-compatible chat completions API (OpenAI, OpenRouter, vLLM, ' +
      'Ollama...): prompt or messages, optional system prompt, temperature and max_tokens. Writes reply.md and ' +
      'metadata.json (model, token usage, timings); with files: true, also each fenced code block named by a path ' +
      'as a file, e.g. to generate an app.',
    input: llmInputSchema,
    estimateSeconds: estimateLlmSeconds,
    // Waits on the provider, and its requests stop with the signal.
    runsIn: 'main',
    worstCase: (input) => llmWorstCase(settings, input),
    run: (input, ctx) => runLlm(settings, input, ctx),
  });
}

/** Unconfigured: enough to list the generator and validate input; running a job fails. */
export const llmGenerator = createLlmGenerator();

async function runLlm(settings: LlmSettings, input: LlmInput, ctx: GenerationContext) {
  const started = performance.now();
  ctx.progress('loading_model', 0, 'preparing the request');
  if (!settings.baseUrl) throw new UnrecoverableGenerationError(LLM_NOT_CONFIGURED);
  const model = input.model ?? settings.defaultModel;
  if (!model) {
    throw new UnrecoverableGenerationError(
      'no model: name one in the input ("model") or set LLM_DEFAULT_MODEL',
    );
  }
  let chat: ReturnType<typeof createChatClient>;
  try {
    chat = createChatClient(settings, ctx.logger);
  } catch (error) {
    throw new UnrecoverableGenerationError(
      `LLM is misconfigured: LLM_BASE_URL is not a usable URL (${(error as Error).message})`,
    );
  }

  const messages = buildMessages(input);
  const characters = messages.reduce((sum, m) => sum + m.content.length, 0);
  ctx.progress(
    'encoding_prompt',
    PROGRESS.encoding,
    `sending ${plural(messages.length, 'message')} (${characters.toLocaleString('en-US')} characters) to ${model}`,
  );

  // No streaming: the wait is estimated from max_tokens and shown as slowly rising progress.
  const expectedMs = estimateLlmSeconds(input) * 1000;
  const waitStarted = performance.now();
  let waiting = `waiting for ${model}`;
  ctx.progress('generating', PROGRESS.generating, waiting);
  const ticker = setInterval(() => {
    const elapsed = performance.now() - waitStarted;
    const share = 1 - Math.exp(-elapsed / expectedMs);
    const percent = PROGRESS.generating + (PROGRESS.saving - 1 - PROGRESS.generating) * share;
    ctx.progress('generating', percent, `${waiting} (${Math.round(elapsed / 1000)} s)`);
  }, TICK_MS);
  ticker.unref();

  let reply: ChatReply;
  try {
    reply = await chat.complete({
      model,
      messages,
      temperature: input.temperature,
      max_tokens: input.max_tokens,
      signal: ctx.signal,
      onRetry: (info) => {
        waiting = `attempt ${info.attempt + 1} of ${info.maxAttempts} after: ${info.message}`;
        ctx.progress('generating', PROGRESS.generating, waiting);
      },
    });
  } finally {
    clearInterval(ticker);
  }
  ctx.signal.throwIfAborted();

  const warnings: string[] = [];
  if (reply.finishReason === 'length') {
    warnings.push('the reply was cut off at max_tokens (finish_reason "length")');
  }
  if (reply.content === '' && reply.refusal === null && reply.finishReason !== 'length') {
    // Seen from gateways when the upstream model failed; another attempt usually works.
    throw new Error(
      `LLM provider returned an empty reply (finish_reason: ${reply.finishReason ?? 'none'})`,
    );
  }
  if (reply.refusal !== null) warnings.push('the model declined the request (refusal)');

  ctx.progress('saving', PROGRESS.saving, `writing ${REPLY_FILE}`);
  const replyText = reply.content !== '' ? reply.content : (reply.refusal ?? '');
  await ctx.output.writeFile(REPLY_FILE, replyText);

  let extracted: ExtractResult | undefined;
  if (input.files) {
    extracted = extractFiles(reply.content, {
      maxFiles: settings.maxFiles ?? LLM_DEFAULTS.maxFiles,
      maxTotalBytes: settings.maxTotalFileBytes ?? LLM_DEFAULTS.maxTotalFileBytes,
      reserved: [REPLY_FILE, METADATA_FILE],
    });
    const total = extracted.files.length;
    for (const [index, file] of extracted.files.entries()) {
      ctx.signal.throwIfAborted();
      await ctx.output.writeFile(file.path, file.content);
      ctx.progress(
        'saving',
        PROGRESS.saving + (9 * (index + 1)) / total,
        `wrote ${index + 1} of ${plural(total, 'file')}`,
      );
    }
    if (extracted.rejected.length > 0) {
      ctx.logger.warn('llm reply named files that were not written', {
        rejected: extracted.rejected.length + extracted.rejectedOmitted,
      });
    }
  }

  const totalMs = Math.round(performance.now() - started);
  const metadata: Record<string, unknown> = {
    generator: 'llm',
    model,
    response_model: reply.model,
    response_id: reply.id,
    provider: providerHost(settings.baseUrl),
    finish_reason: reply.finishReason,
    usage: reply.usage,
    timings_ms: { request: reply.durationMs, total: totalMs },
    attempts: reply.attempts,
    parameters: {
      temperature: input.temperature ?? null,
      max_tokens: input.max_tokens ?? null,
      messages: messages.length,
    },
    warnings,
  };
  if (extracted) {
    metadata.code_blocks = extracted.blocks;
    metadata.files = extracted.files.map((f) => ({ path: f.path, bytes: f.bytes }));
    metadata.rejected_files = extracted.rejected;
    if (extracted.rejectedOmitted > 0) metadata.rejected_files_omitted = extracted.rejectedOmitted;
  }
  ctx.signal.throwIfAborted();
  await ctx.output.writeFile(METADATA_FILE, `${JSON.stringify(metadata, null, 2)}\n`);
  ctx.progress('saving', 100, 'done');

  return {
    metadata: {
      model,
      response_model: reply.model,
      usage: reply.usage,
      finish_reason: reply.finishReason,
      attempts: reply.attempts,
      duration_ms: totalMs,
      ...(extracted
        ? {
            files: extracted.files.length,
            rejected_files: extracted.rejected.length + extracted.rejectedOmitted,
          }
        : {}),
      ...(warnings.length > 0 ? { warnings } : {}),
    },
  };
}

function buildMessages(input: LlmInput): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (input.system !== undefined) messages.push({ role: 'system', content: input.system });
  if (input.messages) messages.push(...input.messages);
  else if (input.prompt !== undefined) messages.push({ role: 'user', content: input.prompt });
  return messages;
}

/** The provider's host for the record: never the path's secrets or any credentials. */
function providerHost(baseUrl: string): string | null {
  try {
    return new URL(baseUrl).host;
  } catch {
    return null;
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
