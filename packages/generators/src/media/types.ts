import type { Logger } from '@genq/core';

/** The stages a provider moves through; the generator adds `saving`. */
export type ProviderStage = 'loading_model' | 'encoding_prompt' | 'generating';

/** What a media provider gets from the job running it. */
export interface MediaProviderContext {
  jobId: string;
  /** Fires when the job is cancelled or the worker stops: stop, and cancel remote work. */
  signal: AbortSignal;
  logger: Logger;
  /** Where the provider is: a stage, how far through it (0–1), and a message for the user. */
  report(stage: ProviderStage, fraction: number, message?: string): void;
}

/** A file a provider produced, whole or as chunks made on demand. */
export interface MediaFile {
  /** A Uint8Array, or an async iterable the generator writes as it is consumed. */
  data: Uint8Array | AsyncIterable<Uint8Array>;
  /** e.g. `image/png`, `audio/wav`. */
  mime: string;
  /** File extension without the dot: `png`, `wav`. */
  extension: string;
}

export interface ProviderRunInfo {
  /** The model that made the file, as the provider names it (null when it does not say). */
  model: string | null;
  /** Facts for metadata.json: attempts, prediction ids, the renderer's choices... */
  metadata: Record<string, unknown>;
  /** Things the user should know (a negative prompt the API cannot take, fewer images...). */
  warnings: string[];
}

export interface ImageRequest {
  prompt: string;
  negativePrompt?: string;
  count: number;
  width: number;
  height: number;
  seed: number;
}

export interface GeneratedImage extends MediaFile {
  data: Uint8Array;
  /** Facts about this image: the seed it used, a revised prompt... */
  metadata: Record<string, unknown>;
}

export interface ImageResult extends ProviderRunInfo {
  images: GeneratedImage[];
}

/** One way of making images: the built-in renderer, an OpenAI-compatible API, a Cog server. */
export interface ImageProvider {
  /** `procedural`, `openai-images` or `cog`. */
  name: string;
  /** True for a model server on the worker's own machine (a Cog container), which wants a GPU. */
  requiresGpu: boolean;
  estimateSeconds(request: Pick<ImageRequest, 'count' | 'width' | 'height'>): number;
  generate(request: ImageRequest, ctx: MediaProviderContext): Promise<ImageResult>;
}

export type AudioFormat = 'wav';

export interface MusicRequest {
  prompt: string;
  /** Whole seconds. */
  durationSeconds: number;
  format: AudioFormat;
  seed: number;
}

export interface MusicResult extends ProviderRunInfo {
  audio: MediaFile;
}

/** One way of making music: the built-in synthesiser or a Cog server (MusicGen...). */
export interface MusicProvider {
  /** `procedural` or `cog`. */
  name: string;
  requiresGpu: boolean;
  estimateSeconds(request: Pick<MusicRequest, 'durationSeconds'>): number;
  /**
   * Resolves once the audio is ready to be written; with an iterable `data` the work goes on
   * while the generator writes it, reporting `generating` progress as it goes.
   */
  generate(request: MusicRequest, ctx: MediaProviderContext): Promise<MusicResult>;
}
