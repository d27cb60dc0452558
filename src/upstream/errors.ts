import type { ErrorCode, Provider } from '../domain.js';

// The vocabulary lives in domain.ts; re-exported here for the upstream layer's own imports.
export { PROVIDERS, codeForStatus, providerNames, type ErrorCode, type Provider } from '../domain.js';

/**
 * A failed upstream call. `message` is safe to show a client: it is either the provider's own
 * human message or one we wrote, and never holds a URL, header or credential.
 */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  /**
   * A write that failed after its request may have reached the provider (a timeout after dispatch,
   * a reset after writing): the provider may have acted. False when it certainly did not.
   */
  mayHaveReachedProvider = false;

  constructor(
    readonly provider: Provider,
    readonly code: ErrorCode,
    message: string,
    readonly status?: number,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
