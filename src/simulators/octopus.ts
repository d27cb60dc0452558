// Octopus Deploy simulator: /api/users/... and the user API-key routes, per shared/contracts/octopus.md.
import { demoOctopusUsers } from './seed.js';
import {
  BASE62,
  DAY_MS,
  Rejection,
  UPPER_ALNUM,
  digest,
  json,
  parseDateTime,
  randomString,
  startSimulatorServer,
  toDate,
  type JsonBody,
  type Reply,
  type RequestContext,
  type SimulatorControl,
} from './server.js';

export type OctopusAccessLevel = 'FullAccess' | 'ReadOnly' | 'Custom';
export type OctopusActorType = 'User' | 'AiAgent';

export interface OctopusSeedKey {
  purpose: string;
  created: Date | string;
  /** null or omitted: a legacy key that never expires */
  expires?: Date | string | null;
  /** generated when omitted */
  secret?: string;
  /** `apikeys-…`; generated when omitted (fixed ids let documentation examples name a key) */
  id?: string;
  /** default 'FullAccess' (set in the Octopus UI; the create body cannot set it) */
  accessLevel?: OctopusAccessLevel;
  /** default 'User' */
  actorType?: OctopusActorType;
  /** when the key last authenticated a request; null or omitted: never */
  lastUsed?: Date | string | null;
  /** false: the server does not know when it was last used (IsLastUsedTimestampKnown false); default true */
  lastUsedKnown?: boolean;
}

/**
 * Many generated keys for one user, for scale tests and benchmarks. Key i (0 = newest) is, deterministically:
 * Id `apikeys-Bulk` + the user's seed position (4 digits) + i (18 digits); Purpose `Bulk key <i>: <word>` with
 * word `BULK_KEY_PURPOSES[i % 5]`; Created `newest - i * intervalMs`; Expires Created + defaultExpiryDays;
 * hint `API-` + i in base 36 (4 characters, upper case); never used. Their secrets were never revealed, so
 * they authenticate nothing.
 */
export interface OctopusBulkKeys {
  count: number;
  /** Created of key 0 (default: the simulator's now() at start, minus intervalMs) */
  newest?: Date | string;
  /** default one minute */
  intervalMs?: number;
}
export const BULK_KEY_PURPOSES = ['deploy pipeline', 'Terraform plan', 'CI runner', 'backup export', 'monitoring probe'] as const;

export interface OctopusSeedUser {
  id: string; // 'Users-1'
  username: string;
  displayName: string;
  isAdmin?: boolean;
  /** a service account (IsService: true; no e-mail address unless given) */
  isService?: boolean;
  /** default true; an inactive user's keys authenticate nothing */
  isActive?: boolean;
  /** default `<username>@example.com` for people, null for service accounts */
  emailAddress?: string | null;
  /** every other caller, admins included, gets 403 on this user's api-key routes (to test partial errors) */
  keysForbidden?: boolean;
  keys: OctopusSeedKey[];
  /** a number is `{ count }` */
  bulkKeys?: number | OctopusBulkKeys;
}

/** A key added by a test straight into the simulator (no request, no counters). */
export interface OctopusKeyInput extends Omit<OctopusSeedKey, 'created'> {
  /** default now() */
  created?: Date | string;
}

/** What a test may see of a stored key: everything but its secret. */
export interface OctopusKeyView {
  id: string;
  userId: string;
  purpose: string;
  hint: string;
  created: Date;
  expires: Date | null;
  accessLevel: OctopusAccessLevel;
  actorType: OctopusActorType;
  lastUsedKnown: boolean;
  lastUsed: Date | null;
}

export interface OctopusSimulatorOptions {
  host?: string;
  port?: number;
  latencyMs?: number;
  /** default: the demo seed */
  users?: OctopusSeedUser[];
  /** 'string' = an older server: ApiKey on list/get is a plain string (the hint, then '*' for the rest of the secret) */
  apiKeyReadShape?: 'sensitive-value' | 'string';
  /**
   * '2026' (default): keys carry AccessLevel (list/get), ActorType, IsLastUsedTimestampKnown and
   * LastUsedTimeStamp, and create takes ActorType. '2021': the 2021.2 shape without them; an ActorType
   * in the create body is ignored, as older servers ignore unknown properties.
   */
  readFields?: '2026' | '2021';
  /** the list filters the server knows (default both); an unknown one is ignored, as older servers do */
  listFilters?: readonly ('partialPurpose' | 'partialKeyword')[];
  /** used when Expires is absent on create (default 180) */
  defaultExpiryDays?: number;
  /** used when Expires is explicitly null, and the upper bound for a given date (default 366) */
  maxExpiryDays?: number;
  now?: () => Date;
}
export interface OctopusSimulator extends SimulatorControl {
  /** base URL without '/api' (the gateway appends '/api'), e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /** a working secret per user id (the user's first seeded key that has not expired; active users only) */
  readonly credentials: Record<string, string>;
  /** Adds a key to a user as if it had been created (Expires omitted: never expires); returns its secret once. */
  addKey(userId: string, key: OctopusKeyInput): { id: string; secret: string };
  /** Deletes a key by id; false when there is none. */
  removeKey(id: string): boolean;
  /** A user's keys, newest first, as the list orders them. */
  keysOf(userId: string): OctopusKeyView[];
}

interface User {
  id: string;
  username: string;
  displayName: string;
  isAdmin: boolean;
  isService: boolean;
  isActive: boolean;
  emailAddress: string | null;
  keysForbidden: boolean;
  keys: KeysNewestLast;
}

// Dates are epoch milliseconds: 100,000 bulk keys should not cost 300,000 Date objects.
interface StoredKey {
  readonly id: string;
  /** of the secret; null: a bulk key whose secret was never revealed, so it authenticates nothing */
  readonly digest: string | null;
  readonly userId: string;
  readonly purpose: string;
  readonly hint: string; // first 8 characters of the secret
  readonly secretLength: number; // only for the legacy string read shape
  readonly created: number;
  readonly expires: number | null;
  readonly accessLevel: OctopusAccessLevel;
  readonly actorType: OctopusActorType;
  lastUsedKnown: boolean;
  lastUsed: number | null;
}

/** Every key by id, and the keys that have a secret by its digest (the secret itself is never stored). */
class KeyIndex {
  readonly #byId = new Map<string, StoredKey>();
  readonly #byDigest = new Map<string, StoredKey>();

  add(key: StoredKey): void {
    if (this.#byId.has(key.id)) throw new Error(`Octopus: duplicate key id ${key.id}`);
    if (key.digest !== null && this.#byDigest.has(key.digest)) throw new Error(`key ${key.id}: the same secret is already in use`);
    this.#byId.set(key.id, key);
    if (key.digest !== null) this.#byDigest.set(key.digest, key);
  }

  get(id: string): StoredKey | undefined {
    return this.#byId.get(id);
  }

  findBySecret(secret: string): StoredKey | undefined {
    return this.#byDigest.get(digest(secret));
  }

  delete(key: StoredKey): void {
    this.#byId.delete(key.id);
    if (key.digest !== null) this.#byDigest.delete(key.digest);
  }
}

/** List order: newest Created first, equal Created by Id. */
const newerFirst = (a: StoredKey, b: StoredKey) => b.created - a.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * One user's keys in reverse list order (oldest first), so that a page is read from the end: listing
 * costs the page, not a sort or copy of every key. Keys mostly arrive newest, i.e. appended.
 */
class KeysNewestLast {
  readonly #keys: StoredKey[] = [];

  get size(): number {
    return this.#keys.length;
  }

  /** The i-th key in list order (0 = newest). */
  at(i: number): StoredKey | undefined {
    return this.#keys[this.#keys.length - 1 - i];
  }

  *newestFirst(): Generator<StoredKey> {
    for (let i = this.#keys.length - 1; i >= 0; i--) yield this.#keys[i]!;
  }

  insert(key: StoredKey): void {
    this.#keys.splice(this.#position(key), 0, key);
  }

  /** Seeding: many keys at once, one sort instead of a splice each. */
  insertMany(keys: StoredKey[]): void {
    for (const key of keys) this.#keys.push(key);
    this.#keys.sort((a, b) => newerFirst(b, a));
  }

  remove(key: StoredKey): void {
    const i = this.#position(key);
    if (this.#keys[i] === key) this.#keys.splice(i, 1);
  }

  /** Index of the first stored key that is not older than `key` in list order (binary search). */
  #position(key: StoredKey): number {
    let lo = 0;
    let hi = this.#keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (newerFirst(this.#keys[mid]!, key) > 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

const MAX_TAKE = 2147483647; // what Page.All asks for
const ACCESS_LEVELS: readonly OctopusAccessLevel[] = ['FullAccess', 'ReadOnly', 'Custom'];
const ACTOR_TYPES: readonly OctopusActorType[] = ['User', 'AiAgent'];

const error = (status: number, message: string): Reply => json(status, { ErrorMessage: message });
const validation = (errors: string[]): Reply =>
  json(400, { ErrorMessage: 'There was a problem with your request.', Errors: errors });
const notFound = (id: string) => new Rejection(error(404, `The resource '${id}' was not found.`));

const UNAUTHORIZED = error(
  401,
  'You must be logged in to perform this action. Please provide a valid API key or log in again.',
);
const forbidden = (permission: 'UserEdit' | 'UserView') =>
  new Rejection(
    error(
      403,
      `You do not have permission to perform this action. Please contact your Octopus administrator. Missing permission: ${permission}`,
    ),
  );
const BODY_PROBLEMS: Record<Exclude<JsonBody, { ok: true }>['problem'], string> = {
  missing: 'No request body was supplied.',
  invalid: 'The request body could not be parsed as JSON.',
  'too-large': 'The request body is too large.',
};

/** Octopus writes milliseconds and a numeric offset: 2026-03-01T10:15:30.123+00:00 */
const formatDate = (ms: number) => new Date(ms).toISOString().replace('Z', '+00:00');

/** ASP.NET binds query and body names case-insensitively. */
function pick(source: Iterable<[string, unknown]>, name: string): { found: boolean; value: unknown } {
  for (const [key, value] of source) if (key.toLowerCase() === name.toLowerCase()) return { found: true, value };
  return { found: false, value: undefined };
}
const query = (url: URL, name: string) => pick(url.searchParams, name).value as string | undefined;

export async function startOctopusSimulator(options: OctopusSimulatorOptions = {}): Promise<OctopusSimulator> {
  const now = options.now ?? (() => new Date());
  const defaultExpiryDays = options.defaultExpiryDays ?? 180;
  const maxExpiryDays = options.maxExpiryDays ?? 366;
  const readShape = options.apiKeyReadShape ?? 'sensitive-value';
  const fields2026 = (options.readFields ?? '2026') === '2026';
  const filters = new Set(options.listFilters ?? ['partialPurpose', 'partialKeyword']);
  const users = new Map<string, User>();
  const keys = new KeyIndex();
  const credentials: Record<string, string> = {};

  const newSecret = () => `API-${randomString(UPPER_ALNUM, 26)}`;
  const isLive = (key: StoredKey) => key.expires === null || key.expires > now().getTime();

  const userOf = (userId: string, what: string): User => {
    const user = users.get(userId);
    if (!user) throw new RangeError(`${what}: no user ${userId}`);
    return user;
  };

  /** A key from seed-like input, with the secret it answers to (only its digest and hint are kept). */
  const makeKey = (user: User, k: OctopusKeyInput & { created: Date | string }, secret: string): StoredKey => {
    const what = `Octopus key '${k.purpose}' of ${user.id}`;
    if (k.accessLevel !== undefined && !ACCESS_LEVELS.includes(k.accessLevel)) throw new RangeError(`${what}: accessLevel ${k.accessLevel}`);
    if (k.actorType !== undefined && !ACTOR_TYPES.includes(k.actorType)) throw new RangeError(`${what}: actorType ${k.actorType}`);
    const lastUsedKnown = k.lastUsedKnown ?? true;
    return {
      id: k.id ?? `apikeys-${randomString(BASE62, 26)}`,
      digest: digest(secret),
      userId: user.id,
      purpose: k.purpose,
      hint: secret.slice(0, 8),
      secretLength: secret.length,
      created: toDate(k.created, what).getTime(),
      expires: k.expires == null ? null : toDate(k.expires, what).getTime(),
      accessLevel: k.accessLevel ?? 'FullAccess',
      actorType: k.actorType ?? 'User',
      lastUsedKnown,
      lastUsed: lastUsedKnown && k.lastUsed != null ? toDate(k.lastUsed, what).getTime() : null,
    };
  };
  const store = (user: User, key: StoredKey): StoredKey => {
    keys.add(key);
    user.keys.insert(key);
    return key;
  };

  const bulkKeys = (user: User, position: number, spec: number | OctopusBulkKeys): StoredKey[] => {
    const { count, newest, intervalMs = 60_000 } = typeof spec === 'number' ? { count: spec } : spec;
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`Octopus seed ${user.id}: bulkKeys count must be a non-negative integer`);
    const first = newest === undefined ? now().getTime() - intervalMs : toDate(newest, `Octopus seed ${user.id} bulkKeys`).getTime();
    const prefix = `apikeys-Bulk${String(position).padStart(4, '0')}`;
    const out: StoredKey[] = [];
    for (let i = 0; i < count; i++) {
      const created = first - i * intervalMs;
      out.push({
        id: prefix + String(i).padStart(18, '0'),
        digest: null,
        userId: user.id,
        purpose: `Bulk key ${i}: ${BULK_KEY_PURPOSES[i % BULK_KEY_PURPOSES.length]}`,
        hint: `API-${i.toString(36).toUpperCase().padStart(4, '0').slice(-4)}`,
        secretLength: 30,
        created,
        expires: created + defaultExpiryDays * DAY_MS,
        accessLevel: 'FullAccess',
        actorType: 'User',
        lastUsedKnown: true,
        lastUsed: null,
      });
    }
    return out;
  };

  for (const [position, seed] of (options.users ?? demoOctopusUsers(now())).entries()) {
    if (users.has(seed.id)) throw new Error(`Octopus seed: duplicate user id ${seed.id}`);
    const isService = seed.isService ?? false;
    const user: User = {
      id: seed.id,
      username: seed.username,
      displayName: seed.displayName,
      isAdmin: seed.isAdmin ?? false,
      isService,
      isActive: seed.isActive ?? true,
      emailAddress: seed.emailAddress !== undefined ? seed.emailAddress : isService ? null : `${seed.username}@example.com`,
      keysForbidden: seed.keysForbidden ?? false,
      keys: new KeysNewestLast(),
    };
    users.set(seed.id, user);
    const seeded: StoredKey[] = [];
    for (const k of seed.keys) {
      const secret = k.secret ?? newSecret();
      const key = makeKey(user, k, secret);
      keys.add(key);
      seeded.push(key);
      if (!(seed.id in credentials) && user.isActive && isLive(key)) credentials[seed.id] = secret;
    }
    const bulk = seed.bulkKeys === undefined ? [] : bulkKeys(user, position, seed.bulkKeys);
    for (const key of bulk) keys.add(key);
    user.keys.insertMany(seeded.concat(bulk));
  }
  // GET /api/users is "sorted alphabetically by username" (2021.2 swagger); the set of users is fixed.
  const byName = (user: User) => user.username.toLowerCase();
  const usersByName = [...users.values()].sort((a, b) => (byName(a) < byName(b) ? -1 : byName(a) > byName(b) ? 1 : 0));

  /** The caller, from X-Octopus-ApiKey (or X-NuGet-ApiKey, or the apikey query parameter). */
  const authenticate = (ctx: RequestContext): User => {
    const secret = ctx.header('x-octopus-apikey') ?? ctx.header('x-nuget-apikey') ?? query(ctx.url, 'apikey');
    const key = secret ? keys.findBySecret(secret) : undefined;
    const user = key && isLive(key) ? users.get(key.userId) : undefined;
    if (!key || !user?.isActive) throw new Rejection(UNAUTHORIZED);
    key.lastUsed = now().getTime();
    key.lastUsedKnown = true;
    return user;
  };

  /** The user named in the path, if the caller may manage their keys. 'me' is not an id here: 404. */
  const keyOwner = (ctx: RequestContext, caller: User): User => {
    const userId = ctx.params.userId ?? '';
    const user = users.get(userId);
    if (!user) throw notFound(userId);
    if (user.id !== caller.id && (!caller.isAdmin || user.keysForbidden)) throw forbidden('UserEdit');
    return user;
  };

  const keyOf = (ctx: RequestContext, owner: User): StoredKey => {
    const id = ctx.params.id ?? '';
    const key = keys.get(id);
    if (!key) throw notFound(id);
    if (key.userId !== owner.id) throw new Rejection(error(400, 'This ApiKey does not belong to the specified user.'));
    return key;
  };

  const userResource = (user: User) => ({
    Id: user.id,
    Username: user.username,
    DisplayName: user.displayName,
    IsActive: user.isActive,
    IsService: user.isService,
    EmailAddress: user.emailAddress,
    Links: { Self: `/api/users/${user.id}`, ApiKeys: `/api/users/${user.id}/apikeys{/id}{?skip,take}` },
  });

  // Field order as Octopus writes it; the create response carries the secret instead of the hint.
  const keyJson = (key: StoredKey, apiKey: unknown) => ({
    Id: key.id,
    UserId: key.userId,
    Purpose: key.purpose,
    ApiKey: apiKey,
    Created: formatDate(key.created),
    Expires: key.expires === null ? null : formatDate(key.expires),
    ...(fields2026 && {
      ActorType: key.actorType,
      IsLastUsedTimestampKnown: key.lastUsedKnown,
      LastUsedTimeStamp: key.lastUsed === null ? null : formatDate(key.lastUsed),
    }),
    Links: { Self: `/api/users/${key.userId}/apikeys/${key.id}` },
  });
  // AccessLevel is on the read model only (contract §3.1: not part of the create response).
  const keyResource = (key: StoredKey) => ({
    ...keyJson(
      key,
      readShape === 'string'
        ? key.hint + '*'.repeat(Math.max(0, key.secretLength - key.hint.length))
        : { HasValue: true, NewValue: null, Hint: key.hint },
    ),
    ...(fields2026 && { AccessLevel: key.accessLevel }),
  });

  const listKeys = (ctx: RequestContext): Reply => {
    const owner = keyOwner(ctx, authenticate(ctx));
    const skip = pagingParam(ctx.url, 'skip', 0);
    const take = pagingParam(ctx.url, 'take', 30);
    const given = (name: 'partialPurpose' | 'partialKeyword') => (filters.has(name) ? query(ctx.url, name) || undefined : undefined);
    const partialPurpose = given('partialPurpose');
    const partialKeyword = given('partialKeyword');
    const purposeNeedle = partialPurpose?.toLowerCase();
    const keywordNeedle = partialKeyword?.toLowerCase();

    const items: StoredKey[] = [];
    let total: number;
    if (purposeNeedle === undefined && keywordNeedle === undefined) {
      total = owner.keys.size;
      for (let i = skip; i < Math.min(total, skip + take); i++) items.push(owner.keys.at(i)!);
    } else {
      // Filters apply before paging, so TotalResults counts matches: one pass, keeping only the page.
      total = 0;
      for (const key of owner.keys.newestFirst()) {
        const purpose = key.purpose.toLowerCase();
        if (purposeNeedle !== undefined && !purpose.includes(purposeNeedle)) continue;
        if (keywordNeedle !== undefined && !purpose.includes(keywordNeedle) && !key.hint.toLowerCase().includes(keywordNeedle)) continue;
        if (total >= skip && total < skip + take) items.push(key);
        total += 1;
      }
    }
    const known = (['partialPurpose', 'partialKeyword'] as const).filter((name) => filters.has(name));
    return json(
      200,
      collection({
        itemType: 'ApiKey',
        base: `/api/users/${owner.id}/apikeys`,
        template: `{?${['skip', 'take', ...known].join(',')}}`,
        skip,
        take,
        total,
        items: items.map(keyResource),
        // Following a link keeps the filter.
        keep: { ...(partialPurpose && { partialPurpose }), ...(partialKeyword && { partialKeyword }) },
      }),
    );
  };

  const listUsers = (ctx: RequestContext): Reply => {
    if (!authenticate(ctx).isAdmin) throw forbidden('UserView');
    const skip = pagingParam(ctx.url, 'skip', 0);
    const take = pagingParam(ctx.url, 'take', 30);
    return json(
      200,
      collection({
        itemType: 'User',
        base: '/api/users',
        template: '{?skip,take}',
        skip,
        take,
        total: usersByName.length,
        items: usersByName.slice(skip, skip + take).map(userResource),
        keep: {},
      }),
    );
  };

  const create = async (ctx: RequestContext): Promise<Reply> => {
    const owner = keyOwner(ctx, authenticate(ctx));
    const body = await ctx.readJson();
    if (!body.ok) return validation([BODY_PROBLEMS[body.problem]]);
    if (typeof body.value !== 'object' || body.value === null || Array.isArray(body.value)) {
      return validation(['The request body must be a JSON object.']);
    }
    const fields = Object.entries(body.value);
    const errors: string[] = [];

    const purpose = pick(fields, 'Purpose').value;
    if (typeof purpose !== 'string' || purpose.trim() === '') errors.push('Please provide a purpose for this API key.');

    const userId = pick(fields, 'UserId').value;
    if (userId != null && userId !== owner.id) {
      errors.push('The UserId in the request body does not match the user in the URL.');
    }

    // Optional, default User; a 2021 server does not know the property and ignores it.
    const actorTypeField = pick(fields, 'ActorType');
    const actorType = fields2026 && actorTypeField.found ? actorTypeField.value : 'User';
    if (!ACTOR_TYPES.includes(actorType as OctopusActorType)) errors.push("ActorType must be 'User' or 'AiAgent'.");

    const created = now();
    const max = new Date(created.getTime() + maxExpiryDays * DAY_MS);
    // Absent and null differ (contract §3.1): absent = the server default, null = the maximum.
    const expiresField = pick(fields, 'Expires');
    let expires = new Date(created.getTime() + defaultExpiryDays * DAY_MS);
    if (expiresField.found && expiresField.value === null) {
      expires = max;
    } else if (expiresField.found) {
      const parsed = typeof expiresField.value === 'string' ? parseDateTime(expiresField.value) : undefined;
      if (!parsed) errors.push('Expires must be an ISO-8601 date and time.');
      else if (parsed.getTime() <= created.getTime()) errors.push('The expiry date cannot be in the past.');
      else if (parsed.getTime() > max.getTime()) {
        errors.push(`The expiry date cannot be more than ${maxExpiryDays} days in the future.`);
      } else expires = parsed;
    }
    if (errors.length > 0 || typeof purpose !== 'string') return validation(errors);

    const secret = newSecret();
    const key = makeKey(owner, { purpose, created, expires, actorType: actorType as OctopusActorType }, secret);
    // The only time the secret leaves the simulator; only its digest and hint are kept.
    return json(200, keyJson(store(owner, key), secret));
  };

  const server = await startSimulatorServer({
    host: options.host,
    port: options.port,
    latencyMs: options.latencyMs,
    errors: {
      notFound: () => error(404, 'The resource you requested was not found.'),
      methodNotAllowed: (method) => error(405, `The requested resource does not support http method '${method}'.`),
      internalError: () =>
        json(500, {
          ErrorMessage: 'Object reference not set to an instance of an object.',
          FullException:
            'System.NullReferenceException: Object reference not set to an instance of an object.\r\n' +
            '   at Octopus.Server.Web.Api.Actions.ApiKeys.ApiKeyAction.ExecuteAsync(OctoContext context)',
        }),
      tooManyRequests: () => error(429, 'Too many requests. Please slow down.'),
    },
    routes: [
      { method: 'GET', path: '/api/users', handle: listUsers },
      { method: 'GET', path: '/api/users/me', handle: (ctx) => json(200, userResource(authenticate(ctx))) },
      {
        method: 'GET',
        path: '/api/users/{userId}',
        handle: (ctx) => {
          authenticate(ctx); // any signed-in user may read a user resource
          const userId = ctx.params.userId ?? '';
          const user = users.get(userId);
          if (!user) throw notFound(userId);
          return json(200, userResource(user));
        },
      },
      { method: 'GET', path: '/api/users/{userId}/apikeys', handle: listKeys },
      { method: 'POST', path: '/api/users/{userId}/apikeys', handle: create },
      {
        method: 'GET',
        path: '/api/users/{userId}/apikeys/{id}',
        handle: (ctx) => json(200, keyResource(keyOf(ctx, keyOwner(ctx, authenticate(ctx))))),
      },
      {
        method: 'DELETE',
        path: '/api/users/{userId}/apikeys/{id}',
        handle: (ctx) => {
          const owner = keyOwner(ctx, authenticate(ctx));
          const key = keyOf(ctx, owner);
          keys.delete(key);
          owner.keys.remove(key);
          return json(200, {});
        },
      },
    ],
  });

  const view = (key: StoredKey): OctopusKeyView => ({
    id: key.id,
    userId: key.userId,
    purpose: key.purpose,
    hint: key.hint,
    created: new Date(key.created),
    expires: key.expires === null ? null : new Date(key.expires),
    accessLevel: key.accessLevel,
    actorType: key.actorType,
    lastUsedKnown: key.lastUsedKnown,
    lastUsed: key.lastUsed === null ? null : new Date(key.lastUsed),
  });

  const { origin, ...control } = server;
  return {
    ...control,
    url: origin,
    credentials,
    addKey(userId, input) {
      const user = userOf(userId, 'addKey');
      const secret = input.secret ?? newSecret();
      const key = store(user, makeKey(user, { ...input, created: input.created ?? now() }, secret));
      return { id: key.id, secret };
    },
    removeKey(id) {
      const key = keys.get(id);
      if (!key) return false;
      keys.delete(key);
      users.get(key.userId)?.keys.remove(key);
      return true;
    },
    keysOf(userId) {
      return [...userOf(userId, 'keysOf').keys.newestFirst()].map(view);
    },
  };
}

/**
 * A ResourceCollection (contract §4.3): server-relative links with skip and take, Page.Next only while
 * another page exists. No items is one empty page (NumberOfPages 1, LastPageNumber 0), so Page.Last
 * stays a valid link.
 */
function collection(c: {
  itemType: string;
  base: string;
  template: string;
  skip: number;
  take: number;
  total: number;
  items: unknown[];
  keep: Record<string, string>;
}) {
  const pages = c.take === 0 ? 1 : Math.max(1, Math.ceil(c.total / c.take));
  const link = (skip: number, take: number) =>
    `${c.base}?${new URLSearchParams({ skip: String(skip), take: String(take), ...c.keep })}`;
  const links: Record<string, string> = {
    Self: link(c.skip, c.take),
    Template: `${c.base}${c.template}`,
    'Page.All': link(0, MAX_TAKE),
    'Page.Current': link(c.skip, c.take),
    'Page.Last': link((pages - 1) * c.take, c.take),
  };
  if (c.take > 0 && c.skip + c.take < c.total) links['Page.Next'] = link(c.skip + c.take, c.take);
  return {
    ItemType: c.itemType,
    TotalResults: c.total,
    ItemsPerPage: c.take,
    NumberOfPages: pages,
    LastPageNumber: pages - 1,
    Items: c.items,
    Links: links,
  };
}

/** skip/take: non-negative 32-bit integers; an empty value means the default. */
function pagingParam(url: URL, name: string, fallback: number): number {
  const raw = query(url, name);
  if (raw === undefined || raw === '') return fallback;
  const value = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!(value <= MAX_TAKE)) throw new Rejection(validation([`The value '${raw}' is not valid for ${name}.`]));
  return value;
}
