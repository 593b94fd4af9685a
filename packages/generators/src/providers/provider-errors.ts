import { UnrecoverableGenerationError } from '@genq/core';

/** What went wrong with a call to a model provider. */
export type ProviderFailureKind =
  /** The connection failed or was reset before an answer arrived. */
  | 'network'
  /** No complete answer within the per-attempt timeout. */
  | 'timeout'
  /** The answer started but its body was cut off (read failed, or JSON ended early). */
  | 'truncated'
  /** An HTTP error status (429, 5xx, other 4xx). */
  | 'http'
  /** A success status whose body is not what was asked for (HTML, text/plain...). */
  | 'unexpected_content_type'
  /** JSON, but not an object. */
  | 'not_object'
  /** A JSON object of the wrong shape. */
  | 'invalid_response'
  /** Larger than the configured cap. */
  | 'too_large'
  /** The request could not be made at all (bad URL, TLS certificate...). */
  | 'request';

export interface ProviderFailureDetails {
  kind: ProviderFailureKind;
  /** The HTTP status, when the provider answered. */
  status?: number;
  /** Attempts made, the last one included. */
  attempts: number;
  /** The provider's own error message, sanitised, when it sent one. */
  providerMessage?: string;
}

/**
 * A provider call failed after every retry this client was allowed. `retryable` is true: the
 * job may well succeed on a later attempt, so this is an ordinary Error for the worker.
 */
export class ProviderError extends Error {
  readonly kind: ProviderFailureKind;
  readonly status: number | undefined;
  readonly attempts: number;
  readonly providerMessage: string | undefined;
  readonly retryable = true;

  constructor(message: string, details: ProviderFailureDetails, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ProviderError';
    this.kind = details.kind;
    this.status = details.status;
    this.attempts = details.attempts;
    this.providerMessage = details.providerMessage;
  }
}

/**
 * The provider refused the request (400, 401, 403, 404, 422...) or answered something no
 * retry can fix: the job fails at once instead of spending its attempts.
 */
export class UnrecoverableProviderError extends UnrecoverableGenerationError {
  readonly kind: ProviderFailureKind;
  readonly status: number | undefined;
  readonly attempts: number;
  readonly providerMessage: string | undefined;
  readonly retryable = false;

  constructor(message: string, details: ProviderFailureDetails, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnrecoverableProviderError';
    this.kind = details.kind;
    this.status = details.status;
    this.attempts = details.attempts;
    this.providerMessage = details.providerMessage;
  }
}

export type ProviderFailure = ProviderError | UnrecoverableProviderError;

export function isProviderFailure(error: unknown): error is ProviderFailure {
  return error instanceof ProviderError || error instanceof UnrecoverableProviderError;
}
