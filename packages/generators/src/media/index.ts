export * from './types.ts';
export {
  IMAGE_PROVIDERS,
  MEDIA_DEFAULTS,
  MUSIC_PROVIDERS,
  mediaEnvSchema,
  mediaSettingsFromEnv,
  type CogSettings,
  type ImageProviderName,
  type ImageSettings,
  type MediaClientSettings,
  type MediaEnv,
  type MediaSettings,
  type MusicProviderName,
  type MusicSettings,
  type OpenAiImagesSettings,
} from './settings.ts';
export { estimateAudioBytes, estimateImageBytes, formatBytes } from './limits.ts';
export { decodeDataUri, sniffMedia } from './files.ts';
export { Random, hashText, seedFromJobId } from './random.ts';
