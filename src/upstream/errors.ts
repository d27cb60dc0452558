import type { ErrorCode, Provider } from '../domain.js';

// The vocabulary lives in domain.ts; re-exported here for the upstream layer's own imports.
export { PROVIDERS, codeForStatus, providerNames, type ErrorCode, type Provider } from '../domain.js';

/**
 * A failed upstream call. `message` is safe to show a client: it is either the provider's own
 * human message or one we wrote, and never holds a URL, header or credential.
 */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';

  constructor(
    readonly provider: Provider,
    readonly code: ErrorCode,
    message: string,
    readonly status?: number,
    readonly retryAfterSeconds?: number,
    /**
     * For a write (POST/PUT/DELETE): true when the request may have reached the provider, so it
     * may have taken effect there: a timeout or a dropped connection after it was sent, a body that
     * could not be read, and every HTTP answer (a 4xx says the provider refused it, a 5xx leaves the
     * outcome unknown: tell them apart by `status`). False when it certainly never left keygate
     * (connection refused, no free connection in time, circuit open), and always false for reads.
     */
    readonly mayHaveReachedProvider = false,
  ) {
    super(message);
  }
}

/**
 * A write's outcome is unknown: it may have reached the provider, and no 4xx says the provider
 * refused it (a 5xx, an unreadable 2xx, or no answer after it left keygate).
 */
export function mayHaveTakenEffect(error: unknown): boolean {
  if (!(error instanceof UpstreamError) || !error.mayHaveReachedProvider) return false;
  return !(error.status !== undefined && error.status >= 400 && error.status < 500);
}
