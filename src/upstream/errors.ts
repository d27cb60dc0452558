/** The providers keygate talks to; the same names are the GraphQL `ApiKeyProvider` values. */
export type Provider = 'OCTOPUS' | 'HYPERSTACK';

export const PROVIDERS: readonly Provider[] = ['OCTOPUS', 'HYPERSTACK'];

export const providerNames: Record<Provider, string> = {
  OCTOPUS: 'Octopus Deploy',
  HYPERSTACK: 'Hyperstack',
};

/** The error codes of the design's error table: every error a client sees carries one. */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_UNAVAILABLE'
  | 'UPSTREAM_ERROR'
  /** keygate itself cannot take this now (its connections to the provider are all busy, or it is shutting down); see `retryAfterSeconds`. */
  | 'SERVICE_UNAVAILABLE';

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

/** The code for an HTTP status a provider answered with (anything unexpected is the provider's fault). */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
    case 422:
      return 'BAD_USER_INPUT';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'CONFLICT';
    case 429:
      return 'RATE_LIMITED';
    default:
      return 'UPSTREAM_ERROR';
  }
}
