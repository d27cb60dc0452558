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
  | 'UPSTREAM_ERROR';

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
