import { encodeGlobalID } from '@pothos/plugin-relay';
import type { GraphiQLOptions } from 'graphql-yoga';
import { TYPENAMES } from './services/key-ids.js';

// GraphiQL's variables and headers editors accept JSON with comments and trailing commas (JSONC), so
// the examples carry their explanation inline, and optional lines are there to uncomment.

/**
 * Ids of keys in the demo's seed data (src/simulators/seed.ts, as in the README), so every tab runs
 * as written in the demo. With real providers, a reader pastes ids from the ApiKeys tab instead.
 */
export const DEMO_IDS = {
  octopusTerraform: encodeGlobalID(TYPENAMES.OCTOPUS, 'default/Users-1/apikeys-MariaTerraform00000000003'),
  octopusGithubActions: encodeGlobalID(TYPENAMES.OCTOPUS, 'default/Users-1/apikeys-MariaGithubActions00000002'),
  hyperstackTerraform: encodeGlobalID(TYPENAMES.HYPERSTACK, 'default/59'),
} as const;

/** The demo key "Shared in a public gist": its secret, as the seed fixes it (DEMO_LEAKED_SECRET; a test checks they agree). */
export const DEMO_LEAKED = 'API-DEMOLEAKEDGISTKEY0000000001';

/** What GraphiQL opens on: the unified list of keys at both providers. */
export const DEFAULT_QUERY = /* GraphQL */ `# Every API key you hold at Octopus Deploy and
# Hyperstack, newest first. Press ▶ (or Ctrl-Enter).
# The other tabs hold an example of every query and
# mutation; Headers (below) shows how to use your own
# provider credentials.
query ApiKeys {
  apiKeys(first: 20) {
    totalCount
    unavailableProviders
    nodes {
      id
      provider
      name
      description
      createdAt
      expiresAt
      keyHint
    }
    pageInfo { hasNextPage endCursor }
  }
}
`;

/**
 * Shown in the headers editor of every tab, commented out: the token a gateway with client
 * authentication requires, and how to pass your own provider credentials.
 */
export function headersNote(clientAuth: boolean): string {
  const token = clientAuth
    ? [
        '  // keygate requires a token: remove the // in front',
        '  // of the next line and put in yours.',
        '  // "Authorization": "Bearer <token>",',
      ]
    : [];
  return `{
${[...token, ''].join('\n')}  // keygate uses the credentials it is configured with.
  // To use your own for a request, remove the // in
  // front of a line and put in your key:
  // "X-Octopus-ApiKey": "API-YOURKEY",
  // "X-Hyperstack-Api-Key": "your-hyperstack-key"
}
`;
}

/** The note of a gateway without client authentication. */
export const HEADERS_NOTE = headersNote(false);

interface Example {
  query: string;
  /** JSONC text for the variables editor. */
  variables?: string;
}

const PAGED_LIST: Example = {
  query: /* GraphQL */ `# A page of keys, filtered. For the next page, pass
# pageInfo.endCursor as "after" (in Variables, below).
query ApiKeysPage($first: Int, $after: String, $filter: ApiKeyFilter) {
  apiKeys(first: $first, after: $after, filter: $filter) {
    totalCount
    unavailableProviders
    edges {
      cursor
      node {
        id
        provider
        name
        createdAt
        ... on OctopusApiKey { userId expiresAt }
        ... on HyperstackApiKey { description }
      }
    }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
`,
  variables: `{
  "first": 5,
  // For the next page: pageInfo.endCursor.
  "after": null,
  "filter": {
    // Leave a provider out and it is not asked at all.
    "providers": ["OCTOPUS", "HYPERSTACK"],
    // Case-insensitive, in the name or the description.
    // null: no text filter.
    "search": null,
    // Another user's Octopus keys (needs permission):
    // "octopusUserId": "Users-2",
  },
}
`,
};

const API_KEY: Example = {
  query: /* GraphQL */ `# One key by its global id (null when there is none).
# Copy an id from the ApiKeys tab into Variables.
query ApiKey($id: ID!) {
  apiKey(id: $id) {
    id
    provider
    providerKeyId
    name
    description
    createdAt
    expiresAt
    keyHint
    ... on OctopusApiKey { purpose userId lastUsedAt }
  }
}
`,
  variables: `{
  // The id of a key from the ApiKeys tab. This one is
  // the demo's Octopus key "Terraform provider
  // (platform-infra)"; with real providers, paste yours.
  "id": "${DEMO_IDS.octopusTerraform}",
}
`,
};

const NODE: Example = {
  query: /* GraphQL */ `# Any object by its global id: the Relay "node"
# entry point that client caches use.
query Node($id: ID!) {
  node(id: $id) {
    __typename
    id
    ... on ApiKey { provider name createdAt }
  }
}
`,
  variables: `{
  // The id of a key from the ApiKeys tab. This one is
  // the demo's Hyperstack key "terraform"; with real
  // providers, paste one of yours.
  "id": "${DEMO_IDS.hyperstackTerraform}",
}
`,
};

const NODES: Example = {
  query: /* GraphQL */ `# Several objects at once, in the order asked;
# null where an id names nothing.
query Nodes($ids: [ID!]!) {
  nodes(ids: $ids) {
    __typename
    id
    ... on ApiKey { provider name keyHint }
  }
}
`,
  variables: `{
  // Ids from the ApiKeys tab, of either provider, at
  // most 100 (here: two keys of the demo).
  "ids": ["${DEMO_IDS.octopusTerraform}", "${DEMO_IDS.hyperstackTerraform}"],
}
`,
};

const VIEWER: Example = {
  query: /* GraphQL */ `# Who this request acts as: which providers the gateway
# serves, whether you have a credential for each, and the
# Octopus user whose keys apiKeys lists by default.
query Viewer {
  viewer {
    providers { provider configured hasCredential }
    octopusUser { id username displayName }
  }
}
`,
};

const CREATE_OCTOPUS: Example = {
  query: /* GraphQL */ `# Creates an Octopus API key. The secret is in this
# response and nowhere else: store it now.
mutation CreateOctopusApiKey($input: CreateOctopusApiKeyInput!) {
  createOctopusApiKey(input: $input) {
    secret
    apiKey { id name expiresAt keyHint }
  }
}
`,
  variables: `{
  "input": {
    "purpose": "Made in GraphiQL",
    // Optional. Left out: the server's default expiry
    // (180 days); null: the longest it allows.
    // "expiresAt": "2030-01-01T00:00:00Z",
    // Optional. Left out: the credential's own user.
    // "userId": "Users-2",
  },
}
`,
};

const GENERATE_HYPERSTACK: Example = {
  query: /* GraphQL */ `# Generates a Hyperstack API key. The secret is in
# this response and nowhere else: store it now.
mutation GenerateHyperstackApiKey($input: GenerateHyperstackApiKeyInput!) {
  generateHyperstackApiKey(input: $input) {
    secret
    apiKey { id name description keyHint }
  }
}
`,
  variables: `{
  "input": {
    // Must not be a name you already use (CONFLICT otherwise).
    "name": "made-in-graphiql",
    "description": "Made in GraphiQL",
  }
}
`,
};

const UPDATE_HYPERSTACK: Example = {
  query: /* GraphQL */ `# Renames a Hyperstack key or changes its description.
# Fields left out keep their value.
mutation UpdateHyperstackApiKey($input: UpdateHyperstackApiKeyInput!) {
  updateHyperstackApiKey(input: $input) {
    apiKey { id name description }
  }
}
`,
  variables: `{
  "input": {
    // The id of a Hyperstack key from the ApiKeys tab
    // (here: the demo's "terraform").
    "id": "${DEMO_IDS.hyperstackTerraform}",
    "name": "terraform-ci",
    // Optional. Left out: kept as it is; null or "" clears it.
    // "description": "What the key is for",
  },
}
`,
};

const DELETE: Example = {
  query: /* GraphQL */ `# Revokes a key at whichever provider holds it.
# Anything still using the key stops working.
mutation DeleteApiKey($input: DeleteApiKeyInput!) {
  deleteApiKey(input: $input) {
    deletedId
    provider
  }
}
`,
  variables: `{
  "input": {
    // The id of the key to revoke, from the ApiKeys tab
    // or a Create/Generate response (here: the demo's
    // Octopus key "GitHub Actions: deploy web-storefront").
    "id": "${DEMO_IDS.octopusGithubActions}",
  }
}
`,
};

const NEEDS_ATTENTION: Example = {
  query: /* GraphQL */ `# Everything that needs attention under the policy
# (viewer.policy): expired, expiring soon, never
# expiring, old or unused keys, soonest expiry first,
# with counts over the whole list.
query NeedsAttention($risks: [ApiKeyRisk!]) {
  viewer { policy { expiryWarningDays maxKeyAgeDays unusedDays } }
  apiKeys(first: 20, filter: { risks: $risks }, orderBy: { field: EXPIRES_AT, direction: ASC }) {
    summary { totalCount byRisk { risk count } }
    nodes {
      id
      name
      provider
      account { name }
      expiresAt
      lastUsedAt
      ageDays
      risks
      usedByGateway
    }
  }
}
`,
  variables: `{
  "risks": ["EXPIRED", "EXPIRING_SOON", "NEVER_EXPIRES", "OLDER_THAN_POLICY", "UNUSED"],
}
`,
};

const ROTATE: Example = {
  query: /* GraphQL */ `# Replaces keys without an outage: a new key now
# (its secret shown once), the old one revoked after
# revokeOldAfter seconds (0: at once). Here, two keys
# at once; one rotateApiKey is the usual case.
mutation RotateApiKeys($octopus: RotateApiKeyInput!, $hyperstack: RotateApiKeyInput!) {
  octopus: rotateApiKey(input: $octopus) {
    secret
    oldKeyRevokesAt
    apiKey { id name expiresAt }
    rotation { id state }
  }
  hyperstack: rotateApiKey(input: $hyperstack) {
    secret
    apiKey { id name }
    rotation { id state }
  }
}
`,
  variables: `{
  // The demo's Octopus "Terraform provider" key, with a
  // day of overlap.
  "octopus": { "id": "${DEMO_IDS.octopusTerraform}", "revokeOldAfter": 86400 },
  // The demo's Hyperstack key 59: renamed "… (rotated …)",
  // the new one takes its name.
  "hyperstack": { "id": "${DEMO_IDS.hyperstackTerraform}", "revokeOldAfter": 3600 },
}
`,
};

const ROTATIONS: Example = {
  query: /* GraphQL */ `# Rotations still under way (and why one waits).
query Rotations {
  rotations(states: [PENDING_CREATE, OVERLAP, NEEDS_ATTENTION]) {
    nodes { id state oldKeyName revokeOldAt lastError }
  }
}
`,
};

const COMPLETE: Example = {
  query: /* GraphQL */ `# Revokes a rotation's old key now.
mutation CompleteRotation($id: ID!) {
  completeRotation(id: $id) { id state }
}
`,
  variables: `{
  // A rotation's id, from RotateApiKeys or Rotations
  // (in a fresh demo, the first rotation).
  "id": "${encodeGlobalID('Rotation', '1')}",
}
`,
};

const CANCEL: Example = {
  query: /* GraphQL */ `# Keeps both keys: the rotation ends here.
mutation CancelRotation($id: ID!) {
  cancelRotation(id: $id) { id state }
}
`,
  variables: `{
  // In a fresh demo, the second rotation.
  "id": "${encodeGlobalID('Rotation', '2')}",
}
`,
};

const AUDIT_EVENTS: Example = {
  query: /* GraphQL */ `# Who did what to which key, newest first: every
# mutation (refused ones too) and every delayed
# revocation. Hints only, never a secret.
query AuditEvents($filter: AuditEventFilter) {
  auditEvents(first: 20, filter: $filter) {
    nodes { at client operation provider account keyName keyHint outcome detail }
    pageInfo { hasNextPage endCursor }
  }
}
`,
  variables: `{
  "filter": {
    // "operation": "deleteApiKey",
    // "keyId": "<a key's id>",
  },
}
`,
};

const REVOKE_LEAKED: Example = {
  query: /* GraphQL */ `# A secret scanner found a key: revoke exactly that
# key (or nothing, when none or several match).
mutation RevokeLeakedSecret($secret: String!) {
  revokeLeakedSecret(input: { secret: $secret }) {
    provider
    account { name }
    revokedKey { name keyHint }
  }
}
`,
  variables: `{
  // The demo's key "Shared in a public gist (oops)".
  "secret": "${DEMO_LEAKED}",
}
`,
};

/** Every example, in the order of the tabs: the queries, then the mutations in a create-rename-revoke order. */
export const EXAMPLES: readonly Example[] = [
  { query: DEFAULT_QUERY },
  PAGED_LIST,
  API_KEY,
  NODE,
  NODES,
  VIEWER,
  CREATE_OCTOPUS,
  GENERATE_HYPERSTACK,
  UPDATE_HYPERSTACK,
  DELETE,
  NEEDS_ATTENTION,
  ROTATE,
  ROTATIONS,
  COMPLETE,
  CANCEL,
  AUDIT_EVENTS,
  REVOKE_LEAKED,
];

// keygate's key (as on the console), for the tab and the logo; inline, so nothing comes from outside.
const KEY_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="28" height="28"><circle cx="10" cy="16" r="7" fill="none" stroke="#0f766e" stroke-width="4"/><path d="M17 16h13M25 16v6M29 16v5" fill="none" stroke="#0f766e" stroke-width="4"/></svg>';
const FAVICON = `data:image/svg+xml,${encodeURIComponent(KEY_SVG)}`;

/** GraphiQL's options: title, logo, a tab per example, and the headers note for this gateway. */
export function graphiqlOptions(settings: { clientAuth: boolean }): GraphiQLOptions {
  const note = headersNote(settings.clientAuth);
  return {
    title: 'keygate',
    favicon: FAVICON,
    logo: KEY_SVG,
    // Used only when a tab has no query; the first tab below is the same list.
    defaultQuery: DEFAULT_QUERY,
    defaultTabs: EXAMPLES.map((example) => ({ query: example.query, variables: example.variables ?? null, headers: note })),
    // For tabs the reader opens: the same note.
    headers: note,
    defaultHeaders: note,
    // Headers may hold a provider key or a token: never write them to the browser's localStorage.
    shouldPersistHeaders: false,
  };
}
