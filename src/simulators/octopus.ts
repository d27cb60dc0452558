// Octopus Deploy simulator: /api/users/... and the user API-key routes, per shared/contracts/octopus.md.
import { demoOctopusUsers } from './seed.js';
import {
  BASE62,
  DAY_MS,
  KeyStore,
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

export interface OctopusSeedKey {
  purpose: string;
  created: Date | string;
  /** null: a legacy key that never expires */
  expires?: Date | string | null;
  /** generated when omitted */
  secret?: string;
  /** `apikeys-…`; generated when omitted (fixed ids let documentation examples name a key) */
  id?: string;
}
export interface OctopusSeedUser {
  id: string; // 'Users-1'
  username: string;
  displayName: string;
  isAdmin?: boolean;
  keys: OctopusSeedKey[];
}
export interface OctopusSimulatorOptions {
  host?: string;
  port?: number;
  latencyMs?: number;
  /** default: the demo seed */
  users?: OctopusSeedUser[];
  /** 'string' = an older server: ApiKey on list/get is a plain string (the hint, then '*' for the rest of the secret) */
  apiKeyReadShape?: 'sensitive-value' | 'string';
  /** used when Expires is absent on create (default 180) */
  defaultExpiryDays?: number;
  /** used when Expires is explicitly null, and the upper bound for a given date (default 366) */
  maxExpiryDays?: number;
  now?: () => Date;
}
export interface OctopusSimulator extends SimulatorControl {
  /** base URL without '/api' (the gateway appends '/api'), e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /** a working secret per user id (the user's first seeded key that has not expired) */
  readonly credentials: Record<string, string>;
}

interface User {
  id: string;
  username: string;
  displayName: string;
  isAdmin: boolean;
}

interface StoredKey {
  readonly id: string;
  readonly digest: string;
  readonly userId: string;
  readonly purpose: string;
  readonly hint: string; // first 8 characters of the secret
  readonly secretLength: number; // only for the legacy string read shape
  readonly created: Date;
  readonly expires: Date | null;
  lastUsed: Date | null;
}

const MAX_TAKE = 2147483647; // what Page.All asks for

const error = (status: number, message: string): Reply => json(status, { ErrorMessage: message });
const validation = (errors: string[]): Reply =>
  json(400, { ErrorMessage: 'There was a problem with your request.', Errors: errors });
const notFound = (id: string) => new Rejection(error(404, `The resource '${id}' was not found.`));

const UNAUTHORIZED = error(
  401,
  'You must be logged in to perform this action. Please provide a valid API key or log in again.',
);
const FORBIDDEN = error(
  403,
  'You do not have permission to perform this action. Please contact your Octopus administrator. Missing permission: UserEdit',
);
const BODY_PROBLEMS: Record<Exclude<JsonBody, { ok: true }>['problem'], string> = {
  missing: 'No request body was supplied.',
  invalid: 'The request body could not be parsed as JSON.',
  'too-large': 'The request body is too large.',
};

/** Octopus writes milliseconds and a numeric offset: 2026-03-01T10:15:30.123+00:00 */
const formatDate = (date: Date) => date.toISOString().replace('Z', '+00:00');

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
  const users = new Map<string, User>();
  const keys = new KeyStore<StoredKey>();
  const credentials: Record<string, string> = {};

  const addKey = (userId: string, purpose: string, secret: string, created: Date, expires: Date | null, id?: string) =>
    keys.add({
      id: id ?? `apikeys-${randomString(BASE62, 26)}`,
      digest: digest(secret),
      userId,
      purpose,
      hint: secret.slice(0, 8),
      secretLength: secret.length,
      created,
      expires,
      lastUsed: null,
    });
  const newSecret = () => `API-${randomString(UPPER_ALNUM, 26)}`;
  const isLive = (key: StoredKey) => key.expires === null || key.expires.getTime() > now().getTime();

  for (const seed of options.users ?? demoOctopusUsers(now())) {
    if (users.has(seed.id)) throw new Error(`Octopus seed: duplicate user id ${seed.id}`);
    users.set(seed.id, { id: seed.id, username: seed.username, displayName: seed.displayName, isAdmin: seed.isAdmin ?? false });
    for (const k of seed.keys) {
      const secret = k.secret ?? newSecret();
      const what = `Octopus seed key '${k.purpose}' of ${seed.id}`;
      if (k.id !== undefined && keys.get(k.id)) throw new Error(`Octopus seed: duplicate key id ${k.id}`);
      const expires = k.expires == null ? null : toDate(k.expires, what);
      const key = addKey(seed.id, k.purpose, secret, toDate(k.created, what), expires, k.id);
      if (!(seed.id in credentials) && isLive(key)) credentials[seed.id] = secret;
    }
  }

  /** The caller, from X-Octopus-ApiKey (or X-NuGet-ApiKey, or the apikey query parameter). */
  const authenticate = (ctx: RequestContext): User => {
    const secret = ctx.header('x-octopus-apikey') ?? ctx.header('x-nuget-apikey') ?? query(ctx.url, 'apikey');
    const key = secret ? keys.findBySecret(secret) : undefined;
    const user = key && isLive(key) ? users.get(key.userId) : undefined;
    if (!key || !user) throw new Rejection(UNAUTHORIZED);
    key.lastUsed = now();
    return user;
  };

  /** The user named in the path, if the caller may manage their keys. 'me' is not an id here: 404. */
  const keyOwner = (ctx: RequestContext, caller: User): User => {
    const userId = ctx.params.userId ?? '';
    const user = users.get(userId);
    if (!user) throw notFound(userId);
    if (user.id !== caller.id && !caller.isAdmin) throw new Rejection(FORBIDDEN);
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
    IsActive: true,
    IsService: false,
    EmailAddress: `${user.username}@example.com`,
    Links: { Self: `/api/users/${user.id}`, ApiKeys: `/api/users/${user.id}/apikeys{/id}{?skip,take}` },
  });

  // Field order as Octopus writes it; the create response carries the secret instead of the hint.
  const keyJson = (key: StoredKey, apiKey: unknown) => ({
    Id: key.id,
    UserId: key.userId,
    Purpose: key.purpose,
    ApiKey: apiKey,
    Created: formatDate(key.created),
    Expires: key.expires && formatDate(key.expires),
    ActorType: 'User',
    IsLastUsedTimestampKnown: true,
    LastUsedTimeStamp: key.lastUsed && formatDate(key.lastUsed),
    Links: { Self: `/api/users/${key.userId}/apikeys/${key.id}` },
  });
  const keyResource = (key: StoredKey) => ({
    ...keyJson(
      key,
      readShape === 'string'
        ? key.hint + '*'.repeat(Math.max(0, key.secretLength - key.hint.length))
        : { HasValue: true, NewValue: null, Hint: key.hint },
    ),
    AccessLevel: 'FullAccess',
  });

  const list = (ctx: RequestContext): Reply => {
    const owner = keyOwner(ctx, authenticate(ctx));
    const skip = pagingParam(ctx.url, 'skip', 0);
    const take = pagingParam(ctx.url, 'take', 30);
    const partialPurpose = query(ctx.url, 'partialPurpose') ?? '';
    const needle = partialPurpose.toLowerCase();
    const matching = keys
      .values()
      .filter((k) => k.userId === owner.id && k.purpose.toLowerCase().includes(needle))
      // Newest first; ties by Id so pages are stable.
      .sort((a, b) => b.created.getTime() - a.created.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

    // A collection always has at least one (possibly empty) page, so zero items give NumberOfPages 1 and
    // LastPageNumber 0, and Page.Last stays a valid link (contract §4.3: LastPageNumber is 0-based).
    const total = matching.length;
    const pages = take === 0 ? 1 : Math.max(1, Math.ceil(total / take));
    const base = `/api/users/${owner.id}/apikeys`;
    const link = (s: number, t: number) => {
      const params = new URLSearchParams({ skip: String(s), take: String(t) });
      if (partialPurpose) params.set('partialPurpose', partialPurpose); // following links keeps the filter
      return `${base}?${params}`;
    };
    const links: Record<string, string> = {
      Self: link(skip, take),
      Template: `${base}{?skip,take,partialPurpose}`,
      'Page.All': link(0, MAX_TAKE),
      'Page.Current': link(skip, take),
      'Page.Last': link((pages - 1) * take, take),
    };
    if (take > 0 && skip + take < total) links['Page.Next'] = link(skip + take, take);

    return json(200, {
      ItemType: 'ApiKey',
      TotalResults: total,
      ItemsPerPage: take,
      NumberOfPages: pages,
      LastPageNumber: pages - 1,
      Items: matching.slice(skip, skip + take).map(keyResource),
      Links: links,
    });
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
    // The only time the secret leaves the simulator; only its digest and hint are kept.
    return json(200, keyJson(addKey(owner.id, purpose, secret, created, expires), secret));
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
      { method: 'GET', path: '/api/users/{userId}/apikeys', handle: list },
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
          keys.delete(keyOf(ctx, keyOwner(ctx, authenticate(ctx))));
          return json(200, {});
        },
      },
    ],
  });

  const { origin, ...control } = server;
  return { ...control, url: origin, credentials };
}

/** skip/take: non-negative 32-bit integers; an empty value means the default. */
function pagingParam(url: URL, name: string, fallback: number): number {
  const raw = query(url, name);
  if (raw === undefined || raw === '') return fallback;
  const value = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!(value <= MAX_TAKE)) throw new Rejection(validation([`The value '${raw}' is not valid for ${name}.`]));
  return value;
}
