// The console's only way to the providers: keygate's public GraphQL API, over fetch.

/** How a provider is named to people. */
export const PROVIDER_NAMES = { OCTOPUS: 'Octopus Deploy', HYPERSTACK: 'Hyperstack' };

const ENDPOINT = '/graphql';

// A gateway that requires client authentication wants `Authorization: Bearer <token>`. The token is
// a secret: it lives in this variable only, for as long as the page is open.
let accessToken = null;
let onTokenNeeded = () => {};

export function setAccessToken(token) {
  accessToken = token || null;
}

/** Registers what to do when keygate itself (not a provider) asks for an access token. */
export function whenTokenNeeded(callback) {
  onTokenNeeded = callback;
}

/** keygate's own refusal (no provider named): its client authentication wants a token. */
export function isTokenError(error) {
  return error?.extensions?.code === 'UNAUTHENTICATED' && !error.extensions.provider;
}

const KEY_FIELDS = 'id provider name description createdAt expiresAt keyHint';

// The viewer rides along with the list: the gateway looks up the current Octopus user for the list
// anyway, so knowing whose keys these are and which providers can act costs no extra upstream call.
const LIST = /* GraphQL */ `
  query ConsoleKeys($first: Int!, $after: String, $filter: ApiKeyFilter) {
    apiKeys(first: $first, after: $after, filter: $filter) {
      totalCount
      unavailableProviders
      nodes { ${KEY_FIELDS} }
      pageInfo { hasNextPage endCursor }
    }
    viewer {
      providers { provider configured hasCredential }
      octopusUser { id username displayName }
    }
  }
`;

const CREATE_OCTOPUS = /* GraphQL */ `
  mutation ConsoleCreateOctopusKey($input: CreateOctopusApiKeyInput!) {
    createOctopusApiKey(input: $input) { secret apiKey { ${KEY_FIELDS} } }
  }
`;

const GENERATE_HYPERSTACK = /* GraphQL */ `
  mutation ConsoleGenerateHyperstackKey($input: GenerateHyperstackApiKeyInput!) {
    generateHyperstackApiKey(input: $input) { secret apiKey { ${KEY_FIELDS} } }
  }
`;

const UPDATE_HYPERSTACK = /* GraphQL */ `
  mutation ConsoleUpdateHyperstackKey($input: UpdateHyperstackApiKeyInput!) {
    updateHyperstackApiKey(input: $input) { apiKey { ${KEY_FIELDS} } }
  }
`;

const DELETE = /* GraphQL */ `
  mutation ConsoleDeleteKey($input: DeleteApiKeyInput!) {
    deleteApiKey(input: $input) { deletedId provider }
  }
`;

/** Every operation the console sends (tests validate them against the schema). */
export const OPERATIONS = { LIST, CREATE_OCTOPUS, GENERATE_HYPERSTACK, UPDATE_HYPERSTACK, DELETE };

/**
 * POSTs one operation and always resolves to `{ data, errors }`, with a transport failure turned
 * into an error a person can read. An abort (a newer request replaced this one) still rejects.
 */
export async function graphql(query, variables, signal) {
  let response;
  try {
    response = await fetch(ENDPOINT, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        // A non-simple header, as CSRF prevention asks of every request.
        'x-graphql-yoga-csrf': 'keygate',
        ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
      signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    return failure('keygate cannot be reached. Check your connection and try again.');
  }
  let body;
  try {
    body = await response.json();
  } catch {
    return failure(`keygate answered with HTTP ${response.status} instead of a GraphQL result.`);
  }
  const errors = Array.isArray(body.errors) ? body.errors : [];
  if (errors.some(isTokenError)) onTokenNeeded();
  return { data: body.data ?? null, errors };
}

function failure(message) {
  return { data: null, errors: [{ message, extensions: { code: 'NETWORK' } }] };
}

export function listKeys({ first, after, filter }, signal) {
  return graphql(LIST, { first, after, filter }, signal);
}

export function createOctopusKey(input) {
  return graphql(CREATE_OCTOPUS, { input });
}

export function generateHyperstackKey(input) {
  return graphql(GENERATE_HYPERSTACK, { input });
}

export function updateHyperstackKey(input) {
  return graphql(UPDATE_HYPERSTACK, { input });
}

export function deleteKey(id) {
  return graphql(DELETE, { input: { id } });
}

/** One GraphQL error in words: which provider, what happened, and the provider's own message. */
export function describeError(error) {
  const code = error?.extensions?.code;
  const provider = PROVIDER_NAMES[error?.extensions?.provider];
  const message = String(error?.message ?? 'Something went wrong.');
  if (!provider) {
    if (isTokenError(error)) {
      return accessToken ? 'keygate did not accept the access token. Check it and enter it again.' : 'keygate asks for an access token: enter it under “Access token”.';
    }
    return code === 'BAD_USER_INPUT' ? `Please check the input: ${message}` : message;
  }
  switch (code) {
    case 'UPSTREAM_UNAVAILABLE':
    case 'UPSTREAM_ERROR':
      return `${provider} is unavailable: ${message}`;
    case 'UPSTREAM_TIMEOUT':
      return `${provider} did not answer in time: ${message}`;
    case 'UNAUTHENTICATED':
      return `${provider} did not accept keygate's credentials: ${message}`;
    case 'NOT_FOUND':
      return `${provider} no longer has this key (it may have been revoked already): ${message}`;
    case 'RATE_LIMITED': {
      const wait = error.extensions.retryAfterSeconds;
      return `${provider} is limiting requests${wait ? `; try again in ${wait} s` : '; try again shortly'}: ${message}`;
    }
    case 'BAD_USER_INPUT':
    case 'FORBIDDEN':
    case 'CONFLICT':
      return `${provider} refused: ${message}`;
    default:
      return `${provider}: ${message}`;
  }
}
