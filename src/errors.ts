import { GraphQLError } from 'graphql';
import { DEFAULT_ACCOUNT, providerNames, type ErrorCode, type Provider } from './domain.js';
import { UpstreamError } from './upstream/errors.js';
import { StoreError } from './store/errors.js';
import { cutSecrets } from './secret-shapes.js';
import { CallBudgetExceeded } from './upstream/loaders.js';
import { HeavyWorkRefused } from './upstream/shared-lists.js';

/** An error the gateway itself raises about a client's input. */
export function badUserInput(message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' satisfies ErrorCode, ...extensions } });
}

/** After a refused create at shutdown, when to send it again (to a running instance). */
const SHUTDOWN_RETRY_AFTER_S = 1;

/**
 * The refusal of a create once shutdown has begun, before any call: one refusal whether the whole
 * operation is refused up front (with `http`, its 503 and Retry-After) or a later create inside it;
 * with `message`, of a call refused for another reason of shutdown (HOLDING_A_SECRET).
 */
export function shuttingDown(options: { http?: boolean; message?: string } = {}): GraphQLError {
  const message = options.message ?? 'keygate is shutting down and takes no new key creations. Send the request again: it will reach a running instance.';
  return gatewayError('SERVICE_UNAVAILABLE', message, undefined, {
    retryAfterSeconds: SHUTDOWN_RETRY_AFTER_S,
    ...(options.http ? { http: { status: 503, headers: { 'retry-after': String(SHUTDOWN_RETRY_AFTER_S) } } } : {}),
  });
}

/** The refusal at shutdown of a call that would hold back an answer already holding a new key's secret. */
export const HOLDING_A_SECRET =
  "keygate is shutting down, and this request already holds a new key's secret: it makes no further call to a provider, so that the answer reaches you before the connection is closed. Send the rest again: it will reach a running instance.";

export function gatewayError(code: ErrorCode, message: string, provider?: Provider, more: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...(provider ? { provider } : {}), ...more } });
}

/**
 * The one place an upstream failure becomes a GraphQL error: its code, the provider, the upstream
 * HTTP status and the provider's own message. Nothing else of it (no stack, URL or header) goes out.
 */
export function upstreamToGraphQLError(
  error: UpstreamError,
  location: Pick<GraphQLError, 'nodes' | 'path'> = { nodes: undefined, path: undefined },
  source?: { account: string; octopusUserId?: string },
): GraphQLError {
  const extensions: Record<string, unknown> = { code: error.code, provider: error.provider };
  if (source) extensions.account = source.account;
  if (source?.octopusUserId) extensions.octopusUserId = source.octopusUserId;
  if (error.status !== undefined) extensions.upstreamStatus = error.status;
  if (error.retryAfterSeconds !== undefined) extensions.retryAfterSeconds = error.retryAfterSeconds;
  // Which account (and user) is missing from a list, in words too; `default` alone needs no naming.
  const where = [
    source && source.account !== DEFAULT_ACCOUNT ? `account "${source.account}"` : undefined,
    source?.octopusUserId ? `user ${source.octopusUserId}` : undefined,
  ].filter(Boolean);
  const message = where.length > 0 ? `${providerNames[error.provider]} ${where.join(', ')}: ${error.message}` : error.message;
  return new GraphQLError(message, { nodes: location.nodes, path: location.path, extensions });
}

/**
 * A create that failed after the provider may have acted: the key may exist, and its secret
 * reached no one. Say so, so the user checks before trying again (and revokes the orphan).
 */
export function mayHaveCreated(error: UpstreamError, name: string): GraphQLError {
  const graphql = upstreamToGraphQLError(error);
  return new GraphQLError(
    `${error.message} The provider may have created the key anyway: look for "${name}" in apiKeys before trying again, and revoke it if you did not get its secret.`,
    { extensions: { ...graphql.extensions, mayHaveCreated: true } },
  );
}

/**
 * Runs a step on the store, turning its errors into ones a client can act on: a conflict, a missing
 * record or bad input as such (a value shaped like a secret is bad input), anything else (the
 * database down) as SERVICE_UNAVAILABLE.
 */
export async function fromStore<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    // A value shaped like a secret is refused whatever the store's health: retrying cannot help.
    const code =
      error.code === 'CONFLICT' || error.code === 'NOT_FOUND' || error.code === 'BAD_USER_INPUT'
        ? error.code
        : error.code === 'SECRET_REFUSED'
          ? 'BAD_USER_INPUT'
          : 'SERVICE_UNAVAILABLE';
    const message = code === 'SERVICE_UNAVAILABLE' ? "keygate's store is unavailable; try again shortly." : sentence(error.message);
    throw new GraphQLError(message, { extensions: code === 'SERVICE_UNAVAILABLE' ? { code, retryAfterSeconds: 5 } : { code } });
  }
}

const sentence = (text: string) => text.charAt(0).toUpperCase() + text.slice(1) + (text.endsWith('.') ? '' : '.');

/** Errors of keygate's own limits, raised below the schema, as GraphQL errors. */
export function limitToGraphQLError(error: unknown): GraphQLError | undefined {
  if (error instanceof CallBudgetExceeded) {
    return new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT', maxUpstreamCalls: error.max } });
  }
  if (error instanceof HeavyWorkRefused) {
    return new GraphQLError(`${error.message} Try again in ${error.retryAfterSeconds} s.`, {
      extensions: {
        code: 'SERVICE_UNAVAILABLE' satisfies ErrorCode,
        retryAfterSeconds: error.retryAfterSeconds,
        http: { status: 503, headers: { 'retry-after': String(error.retryAfterSeconds) } },
      },
    });
  }
  return undefined;
}

/**
 * Yoga's `maskError`: upstream failures are shown as above, the gateway's own GraphQL errors pass,
 * anything else (a bug) is masked so no internal message or stack reaches a client.
 */
export function maskError(error: unknown, fallbackMessage: string): Error {
  if (error instanceof GraphQLError) withoutSecrets(error);
  const original = error instanceof GraphQLError ? (error.originalError ?? undefined) : error;
  if (original instanceof UpstreamError) {
    return upstreamToGraphQLError(original, error instanceof GraphQLError ? error : undefined);
  }
  if (error instanceof GraphQLError && (!original || original instanceof GraphQLError)) return withCode(error);
  return new GraphQLError(fallbackMessage, {
    nodes: error instanceof GraphQLError ? error.nodes : undefined,
    path: error instanceof GraphQLError ? error.path : undefined,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  });
}

/**
 * Cuts from an error's message, in place, every run shaped like a secret: GraphQL's own messages
 * echo the value a client sent (a variable of the wrong type, a literal where a number goes), so a
 * secret pasted into the wrong place would come back in the error, which proxies and APM tools
 * record. In place, as withCode does: yoga takes a replaced error for an unexpected one.
 */
export function withoutSecrets(error: GraphQLError): void {
  const message = cutSecrets(error.message, '[redacted]');
  if (message !== error.message) error.message = message;
}

const CODE_FOR_HTTP_STATUS: Record<number, string> = {
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'BAD_USER_INPUT', // a mutation over GET
  413: 'BAD_USER_INPUT',
  429: 'RATE_LIMITED',
};

/**
 * Every error a client sees carries a code. Some errors raised by plugins (CSRF prevention, for one)
 * carry only an HTTP status: a code is added from it, in place (yoga logs a replaced error as
 * unexpected). graphql-jit reports bad variables with a GraphQLError of its own whose `extensions`
 * is undefined and read-only: that one is a refusal of the client's input, and is copied.
 */
export function withCode(error: GraphQLError): GraphQLError {
  // Typed as always present, but graphql-jit's errors leave it undefined.
  const extensions = error.extensions as GraphQLError['extensions'] | undefined;
  if (extensions === undefined) {
    const copy = new GraphQLError(error.message, { path: error.path, extensions: { code: 'BAD_USER_INPUT' satisfies ErrorCode } });
    return Object.assign(copy, { locations: error.locations });
  }
  if (extensions.code !== undefined) return error;
  const status = (extensions.http as { status?: number } | undefined)?.status;
  // Without a status it is a refusal of the operation itself.
  (extensions as Record<string, unknown>).code = (status && CODE_FOR_HTTP_STATUS[status]) ?? 'BAD_USER_INPUT';
  return error;
}
