// Hyperstack (Infrahub) simulator: the four /v1/api-key routes, per shared/contracts/hyperstack.md.
import { randomBytes, randomUUID } from 'node:crypto';
import { demoHyperstackUsers } from './seed.js';
import {
  KeyStore,
  Rejection,
  digest,
  json,
  startSimulatorServer,
  toDate,
  type JsonBody,
  type Reply,
  type RequestContext,
  type SimulatorControl,
} from './server.js';

export interface HyperstackSeedKey {
  name: string;
  description?: string | null;
  createdAt: Date | string;
  /** generated (a UUID4) when omitted */
  secret?: string;
}
export interface HyperstackSeedUser {
  name: string;
  /** at least one: a user authenticates with one of their own keys */
  keys: HyperstackSeedKey[];
  /** the user's console login access token, sent as `Authorization: Bearer <token>`; generated when omitted */
  accessToken?: string;
}
export interface HyperstackSimulatorOptions {
  host?: string;
  port?: number;
  latencyMs?: number;
  /** default: the demo seed */
  users?: HyperstackSeedUser[];
  /** max keys per user; generate beyond it → 403 (default 10) */
  keyQuota?: number;
  /** default 50 (docs prose); the spec says 200 */
  nameMaxLength?: number;
  /** '2024-06-14T13:29:50' vs '2026-05-06T15:18:42Z' (default 'naive') */
  createdAtFormat?: 'naive' | 'zulu';
  /** how a key without description is written (default '') */
  emptyDescription?: '' | null | 'absent';
  /**
   * Follow the OpenAPI document's security strictly (contract §4): generate needs the access token and
   * refuses `api_key` (401); list, update and delete take either. Default false: generate also takes
   * `api_key`, as every SDK since Dec 2025 sends it.
   */
  strictSeedAuth?: boolean;
  now?: () => Date;
}
export interface HyperstackSimulator extends SimulatorControl {
  /** base URL including '/v1', e.g. http://127.0.0.1:40124/v1 */
  readonly url: string;
  /** a working secret per seeded user (their first seeded key), in seed order */
  readonly credentials: string[];
  /** each seeded user's access token, in seed order (send as `Authorization: Bearer <token>`) */
  readonly accessTokens: string[];
}

interface StoredKey {
  readonly id: number;
  readonly digest: string;
  readonly owner: number; // index of the seeded user
  readonly last4: string;
  readonly created: Date;
  name: string;
  description: string | null; // null: none given (written per `emptyDescription`)
}

const FIRST_KEY_ID = 58; // the id in the documented list example

const fail = (status: number, reason: string, message: string): Reply =>
  json(status, { status: false, message, error_reason: reason });
const badRequest = (message: string) => new Rejection(fail(400, 'bad_request', message));

const BODY_PROBLEMS: Record<Exclude<JsonBody, { ok: true }>['problem'], string> = {
  missing: 'Request body is required',
  invalid: 'Request body is not valid JSON',
  'too-large': 'Request body is too large',
};

export async function startHyperstackSimulator(options: HyperstackSimulatorOptions = {}): Promise<HyperstackSimulator> {
  const now = options.now ?? (() => new Date());
  const keyQuota = options.keyQuota ?? 10;
  const nameMaxLength = options.nameMaxLength ?? 50;
  const zulu = options.createdAtFormat === 'zulu';
  const emptyDescription = options.emptyDescription === undefined ? '' : options.emptyDescription; // null is a mode
  const keys = new KeyStore<StoredKey>();
  const credentials: string[] = [];
  const accessTokens: string[] = [];
  const tokenOwners = new Map<string, number>(); // by the token's digest, like keys
  let nextId = FIRST_KEY_ID;

  const addKey = (owner: number, secret: string, name: string, description: string | null, created: Date) =>
    keys.add({ id: nextId++, digest: digest(secret), owner, last4: secret.slice(-4), created, name, description });

  for (const [owner, seed] of (options.users ?? demoHyperstackUsers(now())).entries()) {
    if (seed.keys.length === 0) throw new Error(`Hyperstack seed user '${seed.name}' needs at least one key to sign in with`);
    // Opaque to clients, as login tokens are; 32 random bytes like a session secret.
    const token = seed.accessToken ?? randomBytes(32).toString('base64url');
    if (token.trim() === '' || /\s/.test(token)) throw new Error(`Hyperstack seed user '${seed.name}': an access token is one word`);
    if (tokenOwners.has(digest(token))) throw new Error(`Hyperstack seed user '${seed.name}': the access token is already in use`);
    tokenOwners.set(digest(token), owner);
    accessTokens.push(token);
    for (const k of seed.keys) {
      const secret = k.secret ?? randomUUID();
      addKey(owner, secret, k.name, k.description || null, toDate(k.createdAt, `Hyperstack seed key '${k.name}'`));
      if (credentials.length === owner) credentials.push(secret);
    }
  }

  /**
   * The caller's user index. A request that sends `Authorization` is judged by it alone: it must be
   * `Bearer <access token>` (scheme in any case; a bare token is refused, as the documented scheme is
   * "Bearer Token"). Otherwise the raw `api_key` header (no prefix), unless the route needs the token.
   */
  const authenticate = (ctx: RequestContext, accepts: 'api_key or token' | 'token' = 'api_key or token'): number => {
    const authorization = ctx.header('authorization');
    if (authorization !== undefined) {
      const token = /^Bearer +(\S+) *$/i.exec(authorization)?.[1];
      const owner = token === undefined ? undefined : tokenOwners.get(digest(token));
      if (owner === undefined) throw new Rejection(fail(401, 'unauthorized', 'Invalid access token'));
      return owner;
    }
    if (accepts === 'token') throw new Rejection(fail(401, 'unauthorized', 'Access token is required'));
    const secret = ctx.header('api_key');
    if (!secret) throw new Rejection(fail(401, 'unauthorized', 'API key is required'));
    const key = keys.findBySecret(secret);
    if (!key) throw new Rejection(fail(401, 'unauthorized', 'Invalid API key'));
    return key.owner;
  };

  /** Keys are personal: another user's id is as unknown as a missing one. */
  const ownKey = (ctx: RequestContext, owner: number): StoredKey => {
    const raw = ctx.params.api_key_id ?? '';
    if (!/^\d+$/.test(raw)) throw badRequest('api_key_id must be an integer');
    const key = keys.get(Number(raw));
    if (!key || key.owner !== owner) throw new Rejection(fail(404, 'not_found', 'API key not found'));
    return key;
  };

  /** GenerateUpdateApiKeyPayload: `name` required; `description` optional (absent, null and '' all mean none). */
  const readPayload = async (ctx: RequestContext) => {
    const body = await ctx.readJson();
    if (!body.ok) throw badRequest(BODY_PROBLEMS[body.problem]);
    if (typeof body.value !== 'object' || body.value === null || Array.isArray(body.value)) {
      throw badRequest('Request body must be a JSON object');
    }
    const { name, description } = body.value as Record<string, unknown>;
    if (name == null) throw badRequest('name is required');
    if (typeof name !== 'string') throw badRequest('name must be a string');
    if (name.trim() === '') throw badRequest('name must not be empty');
    if (name.length > nameMaxLength) throw badRequest(`name must be at most ${nameMaxLength} characters`);
    if (description != null && typeof description !== 'string') throw badRequest('description must be a string');
    return { name, description: description || null };
  };

  const ensureNameFree = (owner: number, name: string, self?: StoredKey) => {
    if (keys.values().some((k) => k.owner === owner && k.name === name && k !== self)) {
      throw new Rejection(fail(409, 'already_exist', `An API key named '${name}' already exists`));
    }
  };

  const formatCreatedAt = (date: Date) => date.toISOString().slice(0, 19) + (zulu ? 'Z' : '');
  const keyJson = (key: StoredKey, value: string) => ({
    id: key.id,
    name: key.name,
    ...(key.description !== null ? { description: key.description }
      : emptyDescription === 'absent' ? {} : { description: emptyDescription }),
    key: value,
    created_at: formatCreatedAt(key.created),
  });
  const masked = (key: StoredKey) => keyJson(key, `********-****-****-****-********${key.last4}`);

  const server = await startSimulatorServer({
    host: options.host,
    port: options.port,
    latencyMs: options.latencyMs,
    errors: {
      notFound: () => fail(404, 'not_found', 'The requested URL was not found on the server'),
      methodNotAllowed: () => fail(405, 'method_not_allowed', 'The method is not allowed for the requested URL'),
      internalError: () => json(500, { message: 'Internal Server Error' }), // the legacy 5xx body: no status, no error_reason
      tooManyRequests: () => fail(429, 'too_many_requests', 'Too many requests'),
    },
    routes: [
      {
        method: 'GET',
        path: '/v1/api-key',
        handle: (ctx) => {
          const owner = authenticate(ctx);
          // No paging on this endpoint; ascending id, i.e. creation order.
          const own = keys.values().filter((k) => k.owner === owner).sort((a, b) => a.id - b.id);
          return json(200, { status: true, message: 'Getting API Keys success', api_keys: own.map(masked) });
        },
      },
      {
        method: 'POST',
        path: '/v1/api-key/generate',
        handle: async (ctx) => {
          const owner = authenticate(ctx, options.strictSeedAuth ? 'token' : 'api_key or token');
          const { name, description } = await readPayload(ctx);
          if (keys.values().filter((k) => k.owner === owner).length >= keyQuota) {
            return fail(403, 'forbidden', 'Maximum API key limit reached');
          }
          ensureNameFree(owner, name);
          const secret = randomUUID();
          // The only response that carries the full key; only its digest and last 4 are kept.
          const key = addKey(owner, secret, name, description, now());
          return json(200, { status: true, message: 'API Key generated successfully', api_key: keyJson(key, secret) });
        },
      },
      {
        method: 'PUT',
        path: '/v1/api-key/{api_key_id}',
        handle: async (ctx) => {
          const owner = authenticate(ctx);
          const key = ownKey(ctx, owner);
          const { name, description } = await readPayload(ctx);
          // Renaming onto a taken name: the contract calls it unknown; we answer 409 like generate.
          ensureNameFree(owner, name, key);
          key.name = name;
          // An absent description clears it (the contract calls this unknown): a gateway that forgets
          // to re-send the current description loses it here, and its tests notice.
          key.description = description;
          return json(200, { status: true, message: 'API Key updated successfully', api_key: masked(key) });
        },
      },
      {
        method: 'DELETE',
        path: '/v1/api-key/{api_key_id}',
        handle: (ctx) => {
          keys.delete(ownKey(ctx, authenticate(ctx)));
          return json(200, { status: true, message: 'API Key deleted successfully' });
        },
      },
    ],
  });

  const { origin, ...control } = server;
  return { ...control, url: `${origin}/v1`, credentials, accessTokens };
}
