// The reference operations: what a client sends the gateway for each, the same upstream requests
// issued straight to the simulators (the direct baseline), and the fewest upstream requests the
// design allows for each (design.md, "Upstream calls: as few as the data allows").
import { Pool } from 'undici';
import type { GatewayStep } from './load.js';
import type { RouteCounts, SimulatorsReady } from './shared.js';

export type OpKey = 'a' | 'b' | 'c';

export interface Operation {
  key: OpKey;
  name: string;
  /** What one operation is, for the report. */
  description: string;
  /** The gateway requests of one operation, sent one after the other. */
  steps: GatewayStep[];
  /** The same upstream requests as the gateway makes, straight to the simulators. */
  direct: () => Promise<boolean>;
  /** Upstream requests one operation may cost at the least, per simulator route. */
  minimum: RouteCounts;
  /** Removes what an interrupted run left behind (keys created but not deleted). */
  cleanup?: () => Promise<void>;
}

/**
 * Routes whose calls are shared across operations rather than made per operation: the current
 * Octopus user is resolved once per credential and remembered (OCTOPUS_USER_CACHE_TTL_MS, 60 s by
 * default), so a measured batch of operations may see at most one such call per TTL.
 */
export const AMORTISED_ROUTES = ['GET /api/users/me'];

// ---- GraphQL documents ------------------------------------------------------------------------

export const LIST_QUERY = /* GraphQL */ `query BenchList {
  apiKeys(first: 50) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id provider providerKeyId name description createdAt expiresAt keyHint }
  }
}`;

export const NODES_QUERY = /* GraphQL */ `query BenchNodes($ids: [ID!]!) {
  nodes(ids: $ids) {
    id
    ... on ApiKey { provider providerKeyId name description createdAt expiresAt keyHint }
  }
}`;

export const CREATE_MUTATION = /* GraphQL */ `mutation BenchCreate($octopus: CreateOctopusApiKeyInput!, $hyperstack: GenerateHyperstackApiKeyInput!) {
  octopus: createOctopusApiKey(input: $octopus) { apiKey { id name } secret }
  hyperstack: generateHyperstackApiKey(input: $hyperstack) { apiKey { id name } secret }
}`;

export const DELETE_MUTATION = /* GraphQL */ `mutation BenchDelete($octopus: ID!, $hyperstack: ID!) {
  octopus: deleteApiKey(input: { id: $octopus }) { deletedId }
  hyperstack: deleteApiKey(input: { id: $hyperstack }) { deletedId }
}`;

/** Keys the create/delete benchmark makes are named with this prefix (and removed by cleanup). */
export const CREATED_PREFIX = 'bench-c-';

// ---- direct access to the simulators (the baseline) ------------------------------------------

/**
 * undici pools straight to the two simulators, sending what the gateway sends: the same paths,
 * the same credential headers, JSON bodies; and, like the gateway, reading and parsing every body.
 */
export class DirectUpstreams {
  readonly octopus: Pool;
  readonly hyperstack: Pool;
  private readonly octopusHeaders: Record<string, string>;
  private readonly hyperstackHeaders: Record<string, string>;
  private readonly hyperstackBase: string;
  readonly userId: string;

  constructor(sims: SimulatorsReady, connections: number) {
    this.octopus = new Pool(new URL(sims.octopus.url).origin, { connections, pipelining: 1 });
    const hyperstackUrl = new URL(sims.hyperstack.url);
    this.hyperstack = new Pool(hyperstackUrl.origin, { connections, pipelining: 1 });
    this.hyperstackBase = hyperstackUrl.pathname.replace(/\/+$/, '');
    this.octopusHeaders = { accept: 'application/json', 'x-octopus-apikey': sims.octopus.apiKey };
    this.hyperstackHeaders = { accept: 'application/json', api_key: sims.hyperstack.apiKey };
    this.userId = sims.octopus.userId;
  }

  /** `expect: 'none'` reads the body and throws it away (as the gateway does for DELETE). */
  async call(
    provider: 'octopus' | 'hyperstack',
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    expect: 'json' | 'none' = 'json',
  ): Promise<unknown> {
    const pool = provider === 'octopus' ? this.octopus : this.hyperstack;
    const headers = { ...(provider === 'octopus' ? this.octopusHeaders : this.hyperstackHeaders) };
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const fullPath = provider === 'octopus' ? `/api${path}` : `${this.hyperstackBase}${path}`;
    const response = await pool.request({ method, path: fullPath, headers, body: payload });
    const text = await response.body.text();
    if (response.statusCode < 200 || response.statusCode >= 300) {
      throw Object.assign(new Error(`${provider} ${method} ${path}: HTTP ${response.statusCode}: ${text.slice(0, 200)}`), {
        status: response.statusCode,
      });
    }
    return expect === 'json' ? (JSON.parse(text) as unknown) : undefined;
  }

  /** Both lists, in parallel: what the gateway asks for `apiKeys` and for `nodes` of many ids. */
  async listBoth(): Promise<boolean> {
    const [octopus, hyperstack] = await Promise.all([
      this.call('octopus', 'GET', `/users/${encodeURIComponent(this.userId)}/apikeys?skip=0&take=1000`),
      this.call('hyperstack', 'GET', '/api-key'),
    ]);
    return (
      Array.isArray((octopus as { Items?: unknown }).Items) && Array.isArray((hyperstack as { api_keys?: unknown }).api_keys)
    );
  }

  async close(): Promise<void> {
    await Promise.all([this.octopus.close(), this.hyperstack.close()]);
  }
}

// ---- the operations ---------------------------------------------------------------------------

let created = 0;
/** A name no other key has (Hyperstack refuses a name in use). */
function uniqueName(): string {
  return `${CREATED_PREFIX}${process.pid}-${created++}`;
}

function parse(body: string): { data?: Record<string, unknown> | null; errors?: unknown[] } | undefined {
  try {
    return JSON.parse(body) as { data?: Record<string, unknown> | null; errors?: unknown[] };
  } catch {
    return undefined;
  }
}

/** A cheap check for the read operations, which run at thousands per second in this process. */
const noErrors = (prefix: string) => (body: string) => body.startsWith(prefix) && !body.includes('"errors"');

export interface OperationsInput {
  direct: DirectUpstreams;
  /** Global ids for `nodes`: 10 of each provider, interleaved. */
  nodeIds: string[];
}

export function operations({ direct, nodeIds }: OperationsInput): Record<OpKey, Operation> {
  const userPath = `/users/${encodeURIComponent(direct.userId)}`;
  return {
    a: {
      key: 'a',
      name: 'list',
      description: '`apiKeys(first: 50)` with the common fields: 25 Octopus + 25 Hyperstack keys, merged',
      steps: [{ body: JSON.stringify({ query: LIST_QUERY }), check: noErrors('{"data":{"apiKeys":') }],
      direct: () => direct.listBoth(),
      minimum: { 'GET /api/users/{userId}/apikeys': 1, 'GET /v1/api-key': 1 },
    },
    b: {
      key: 'b',
      name: 'nodes',
      description: `\`nodes\` of ${nodeIds.length} ids (half Octopus, half Hyperstack) with the common fields`,
      steps: [{ body: JSON.stringify({ query: NODES_QUERY, variables: { ids: nodeIds } }), check: noErrors('{"data":{"nodes":') }],
      // Many Octopus ids of one user cost one list walk; every Hyperstack id comes from one list call.
      direct: () => direct.listBoth(),
      minimum: { 'GET /api/users/{userId}/apikeys': 1, 'GET /v1/api-key': 1 },
    },
    c: {
      key: 'c',
      name: 'create+delete',
      description:
        'one request creating a key at each provider (`createOctopusApiKey` + `generateHyperstackApiKey`), then one request deleting both (`deleteApiKey` ×2)',
      steps: [
        {
          body: () => {
            const name = uniqueName();
            return JSON.stringify({
              query: CREATE_MUTATION,
              variables: { octopus: { purpose: name }, hyperstack: { name, description: 'benchmark' } },
            });
          },
          check: (body, state) => {
            const data = parse(body)?.data as { octopus?: { apiKey?: { id?: string } }; hyperstack?: { apiKey?: { id?: string } } } | undefined;
            state.octopus = data?.octopus?.apiKey?.id;
            state.hyperstack = data?.hyperstack?.apiKey?.id;
            return typeof state.octopus === 'string' && typeof state.hyperstack === 'string';
          },
        },
        {
          body: (state) =>
            typeof state.octopus === 'string' && typeof state.hyperstack === 'string'
              ? JSON.stringify({ query: DELETE_MUTATION, variables: { octopus: state.octopus, hyperstack: state.hyperstack } })
              : undefined,
          check: (body, state) => {
            const data = parse(body)?.data as { octopus?: { deletedId?: string }; hyperstack?: { deletedId?: string } } | undefined;
            return data?.octopus?.deletedId === state.octopus && data?.hyperstack?.deletedId === state.hyperstack;
          },
        },
      ],
      // GraphQL runs the root fields of a mutation one after the other, so the gateway cannot
      // overlap the two creates (nor the two deletes); the baseline makes the same calls in the same order.
      direct: async () => {
        const name = uniqueName();
        const octopus = (await direct.call('octopus', 'POST', `${userPath}/apikeys`, { UserId: direct.userId, Purpose: name })) as {
          Id: string;
        };
        const hyperstack = (await direct.call('hyperstack', 'POST', '/api-key/generate', { name, description: 'benchmark' })) as {
          api_key: { id: number };
        };
        await direct.call('octopus', 'DELETE', `${userPath}/apikeys/${encodeURIComponent(octopus.Id)}`, undefined, 'none');
        await direct.call('hyperstack', 'DELETE', `/api-key/${hyperstack.api_key.id}`, undefined, 'none');
        return true;
      },
      minimum: {
        'POST /api/users/{userId}/apikeys': 1,
        'POST /v1/api-key/generate': 1,
        'DELETE /api/users/{userId}/apikeys/{id}': 1,
        'DELETE /v1/api-key/{api_key_id}': 1,
      },
      // Runs after the gateway's in-flight requests have landed; a key deleted meanwhile is fine.
      cleanup: async () => {
        const gone = (error: unknown) => {
          if ((error as { status?: number }).status !== 404) throw error;
        };
        const octopus = (await direct.call('octopus', 'GET', `${userPath}/apikeys?skip=0&take=100000`)) as {
          Items: { Id: string; Purpose: string }[];
        };
        const hyperstack = (await direct.call('hyperstack', 'GET', '/api-key')) as { api_keys: { id: number; name: string }[] };
        await Promise.all([
          ...octopus.Items.filter((k) => k.Purpose.startsWith(CREATED_PREFIX)).map((k) =>
            direct.call('octopus', 'DELETE', `${userPath}/apikeys/${encodeURIComponent(k.Id)}`, undefined, 'none').catch(gone),
          ),
          ...hyperstack.api_keys
            .filter((k) => k.name.startsWith(CREATED_PREFIX))
            .map((k) => direct.call('hyperstack', 'DELETE', `/api-key/${k.id}`, undefined, 'none').catch(gone)),
        ]);
      },
    },
  };
}
