import { z } from 'zod';

export const MAX_LLM_TOKENS = 32_768;
/** Tokens assumed for an estimate when the job sets no max_tokens. */
export const ESTIMATE_DEFAULT_TOKENS = 1_000;
/** Output tokens per second assumed for an estimate. */
export const ESTIMATE_TOKENS_PER_SECOND = 50;

const MAX_TEXT = 1_000_000;

export const llmMessageSchema = z
  .object({
    role: z.enum(['system', 'user', 'assistant']).describe('Who said it.'),
    content: z.string().max(MAX_TEXT).describe('What was said.'),
  })
  .strict();

export const llmInputSchema = z
  .object({
    model: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe(
        'Model id as the provider names it (e.g. "openai/gpt-4o-mini" on OpenRouter). Defaults to the worker\'s LLM_DEFAULT_MODEL.',
      ),
    prompt: z
      .string()
      .min(1)
      .max(MAX_TEXT)
      .optional()
      .describe('The request, sent as one user message. Give either prompt or messages.'),
    messages: z
      .array(llmMessageSchema)
      .min(1)
      .max(500)
      .optional()
      .describe('A whole conversation instead of a prompt. Give either prompt or messages.'),
    system: z.string().min(1).max(MAX_TEXT).optional().describe('System prompt, sent first.'),
    temperature: z.number().min(0).max(2).optional().describe('Sampling temperature, 0–2.'),
    max_tokens: z
      .number()
      .int()
      .min(1)
      .max(MAX_LLM_TOKENS)
      .optional()
      .describe(`Upper bound on the reply's tokens, 1–${MAX_LLM_TOKENS}.`),
    files: z
      .boolean()
      .default(false)
      .describe(
        'Also turn each fenced code block named by a path (a "### src/app.ts" line before it, or ```ts path=src/app.ts) into a file of the result. Unsafe names are skipped and listed in metadata.json.',
      ),
  })
  .strict()
  .superRefine((input, ctx) => {
    const given = Number(input.prompt !== undefined) + Number(input.messages !== undefined);
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [input.prompt === undefined ? 'prompt' : 'messages'],
        message:
          given === 0
            ? 'give either prompt or messages'
            : 'give either prompt or messages, not both',
      });
    }
  })
  .describe('A chat completion from an OpenAI-compatible API.');

export type LlmInput = z.infer<typeof llmInputSchema>;
