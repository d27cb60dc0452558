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

const KEY_FIELDS = 'id provider name description createdAt expiresAt lastUsedAt keyHint risks usedByGateway account { name provider host }';
const OWNER = '... on OctopusApiKey { owner { id username displayName isService } }';
const ROTATION_FIELDS =
  'id provider account { name provider host } state oldKeyId oldKeyName oldKeyHint newKeyId newKeyHint overlapSeconds revokeOldAt oldKeyUsedAt attempts lastError startedBy createdAt';

// The viewer rides along with the list: the gateway looks up each Octopus account's user for the list
// anyway, so knowing whose keys these are, which accounts can act and the policy costs no extra call.
// The summary (risk counts over the whole filtered list) comes with the first page only: later pages
// do not change it. `owner` costs no call for the credential's own user and in an all-users list.
// The rotations under way come from keygate's store (no upstream call), with the first page too, so
// the rows of keys being replaced can say so.
const LIST = /* GraphQL */ `
  query ConsoleKeys($first: Int!, $after: String, $filter: ApiKeyFilter, $orderBy: ApiKeyOrder, $withSummary: Boolean!) {
    apiKeys(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
      totalCount
      unavailableProviders
      unavailableAccounts { name provider }
      summary @include(if: $withSummary) { byRisk { risk count } }
      nodes { ${KEY_FIELDS} ${OWNER} }
      pageInfo { hasNextPage endCursor }
    }
    rotations(first: 100, states: [PENDING_CREATE, OVERLAP, NEEDS_ATTENTION]) @include(if: $withSummary) {
      nodes { ${ROTATION_FIELDS} }
      pageInfo { hasNextPage }
    }
    viewer {
      providers { provider configured hasCredential }
      accounts { account { name provider host } reachable octopusUser { id username displayName } }
      policy { expiryWarningDays maxKeyAgeDays unusedDays }
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

// A rotated Hyperstack key was renamed aside: its row reads it again (one list call at Hyperstack).
const KEY = /* GraphQL */ `
  query ConsoleKey($id: ID!) {
    apiKey(id: $id) { ${KEY_FIELDS} ${OWNER} }
  }
`;

const ROTATE = /* GraphQL */ `
  mutation ConsoleRotateKey($input: RotateApiKeyInput!) {
    rotateApiKey(input: $input) { secret oldKeyRevokesAt apiKey { ${KEY_FIELDS} ${OWNER} } rotation { ${ROTATION_FIELDS} } }
  }
`;

const COMPLETE_ROTATION = /* GraphQL */ `
  mutation ConsoleCompleteRotation($id: ID!) {
    completeRotation(id: $id) { ${ROTATION_FIELDS} }
  }
`;

const CANCEL_ROTATION = /* GraphQL */ `
  mutation ConsoleCancelRotation($id: ID!) {
    cancelRotation(id: $id) { ${ROTATION_FIELDS} }
  }
`;

const ACTIVITY = /* GraphQL */ `
  query ConsoleActivity($first: Int!, $after: String, $filter: AuditEventFilter) {
    auditEvents(first: $first, after: $after, filter: $filter) {
      nodes { id at requestId client operation provider account keyId keyName keyHint outcome detail }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

/** Every operation the console sends (tests validate them against the schema). */
export const OPERATIONS = {
  LIST,
  CREATE_OCTOPUS,
  GENERATE_HYPERSTACK,
  UPDATE_HYPERSTACK,
  DELETE,
  KEY,
  ROTATE,
  COMPLETE_ROTATION,
  CANCEL_ROTATION,
  ACTIVITY,
};

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
  // A proxy's JSON error page (`{"message":"Endpoint request timed out"}`) is not an answer either:
  // the operation may have run behind it, so it must read as a lost answer, never as "no errors".
  const errors = Array.isArray(body?.errors) ? body.errors : [];
  const data = body?.data;
  if (errors.length === 0 && (data === null || typeof data !== 'object')) {
    return failure(`keygate answered with HTTP ${response.status} instead of a GraphQL result.`);
  }
  if (errors.some(isTokenError)) onTokenNeeded();
  return { data: data ?? null, errors };
}

function failure(message) {
  return { data: null, errors: [{ message, extensions: { code: 'NETWORK' } }] };
}

export function listKeys({ first, after, filter, orderBy }, signal) {
  return graphql(LIST, { first, after, filter, orderBy, withSummary: !after }, signal);
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

/** `revokeGatewayCredential`: only after the reader confirmed locking keygate out (see app.js). */
export function deleteKey(id, { revokeGatewayCredential = false } = {}) {
  return graphql(DELETE, { input: { id, ...(revokeGatewayCredential ? { confirmRevokeGatewayCredential: true } : {}) } });
}

export function getKey(id) {
  return graphql(KEY, { id });
}

/** `revokeGatewayCredential`: as for deleteKey, only after the reader confirmed it. */
export function rotateKey(id, revokeOldAfter, { revokeGatewayCredential = false } = {}) {
  return graphql(ROTATE, { input: { id, revokeOldAfter, ...(revokeGatewayCredential ? { confirmRevokeGatewayCredential: true } : {}) } });
}

export function completeRotation(id) {
  return graphql(COMPLETE_ROTATION, { id });
}

export function cancelRotation(id) {
  return graphql(CANCEL_ROTATION, { id });
}

export function listActivity({ first, after, filter }, signal) {
  return graphql(ACTIVITY, { first, after, filter }, signal);
}

/**
 * Where an error happened, in words: the provider, and the account and Octopus user when a list names
 * them (`default` needs no naming). The gateway's message starts with the same place when it names
 * one (`Octopus Deploy account "staging": …`); that prefix is dropped so it is not said twice.
 */
function placeOf(error) {
  const { provider, account, octopusUserId } = error.extensions;
  const named = (quote) =>
    [account && account !== 'default' ? `account ${quote(account)}` : '', octopusUserId ? `user ${octopusUserId}` : ''].filter(Boolean).join(', ');
  let message = String(error.message ?? 'Something went wrong.');
  const prefix = `${PROVIDER_NAMES[provider]} ${named((name) => `"${name}"`)}: `;
  if (named(String) && message.startsWith(prefix)) message = message.slice(prefix.length);
  const place = named((name) => `“${name}”`);
  return { where: place ? `${PROVIDER_NAMES[provider]} ${place}` : PROVIDER_NAMES[provider], message };
}

/** One GraphQL error in words: which provider (and account), what happened, and the provider's own message. */
export function describeError(error) {
  const code = error?.extensions?.code;
  const provider = PROVIDER_NAMES[error?.extensions?.provider];
  if (!provider) {
    const message = String(error?.message ?? 'Something went wrong.');
    if (isTokenError(error)) {
      return accessToken ? 'keygate did not accept the access token. Check it and enter it again.' : 'keygate asks for an access token: enter it under “Access token”.';
    }
    return code === 'BAD_USER_INPUT' ? `Please check the input: ${message}` : message;
  }
  const { where, message } = placeOf(error);
  switch (code) {
    case 'UPSTREAM_UNAVAILABLE':
    case 'UPSTREAM_ERROR':
      return `${where} is unavailable: ${message}`;
    case 'UPSTREAM_TIMEOUT':
      return `${where} did not answer in time: ${message}`;
    case 'UNAUTHENTICATED':
      return `${where} did not accept keygate's credentials: ${message}`;
    case 'NOT_FOUND':
      return `${where} no longer has this key (it may have been revoked already): ${message}`;
    case 'RATE_LIMITED': {
      const wait = error.extensions.retryAfterSeconds;
      return `${where} is limiting requests${wait ? `; try again in ${wait} s` : '; try again shortly'}: ${message}`;
    }
    case 'BAD_USER_INPUT':
    case 'FORBIDDEN':
    case 'CONFLICT':
      return `${where} refused: ${message}`;
    default:
      return `${where}: ${message}`;
  }
}

/**
 * A create whose outcome is unknown: the provider may have made the key, and its secret reached no one.
 * `name`: what the reader called it. Other keys may have the same name (Octopus purposes need not be
 * unique): the list marks only a key of that name that was not on screen before (see app.js).
 */
export function describeMaybeCreated(error, name) {
  const which = `If a key “${name}” is highlighted in the list below, it is the one this create made`;
  if (!error.extensions?.mayHaveCreated) {
    // The answer was lost between keygate and this page: whether the key was made is unknown here.
    const said = error.extensions?.code === 'NETWORK' ? 'keygate’s answer did not reach this page.' : describeError(error);
    return `${said} Whether “${name}” was created is unknown. ${which}: revoke it (its secret never reached you), then create the key again.`;
  }
  const { where } = placeOf(error);
  return `${where} did not confirm “${name}” but may have created it: its secret did not reach keygate. ${which}: revoke it (nobody has its secret), then create the key again.`;
}

/** keygate refused to revoke (or rotate) the key it uses itself: a FORBIDDEN marked with its reason. */
export function isGatewayCredentialRefusal(error) {
  return error?.extensions?.code === 'FORBIDDEN' && error.extensions.reason === 'GATEWAY_CREDENTIAL';
}
