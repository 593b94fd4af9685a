export { createLlmGenerator, llmGenerator, estimateLlmSeconds } from './generator.ts';
export { createChatClient } from './chat.ts';
export type { ChatClient, ChatMessage, ChatReply, ChatRequest, ChatUsage } from './chat.ts';
export { llmInputSchema, type LlmInput } from './input.ts';
export { extractFiles, parseCodeBlocks } from './files.ts';
export type { ExtractedFile, ExtractResult, RejectedFile } from './files.ts';
export { LLM_DEFAULTS, LLM_NOT_CONFIGURED, type LlmSettings } from './settings.ts';
