export * from './http-client.ts';
export * from './provider-errors.ts';
export {
  bodyExcerpt,
  providerErrorMessage,
  sanitizeText,
  isJsonMediaType,
  mediaType,
} from './body.ts';
export { backoffDelayMs, isRetryableStatus, retryAfterMs } from './retry-policy.ts';
