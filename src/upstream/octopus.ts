import type { OctopusAccessLevel, OctopusActorType, OctopusApiKey, OctopusUser } from '../domain.js';
import { lookupAfter, madeSince, type Lookup } from './created-lookup.js';
import { UpstreamError } from './errors.js';
import type { UpstreamHttp, UpstreamObserver, UpstreamRequest } from './http.js';
import {
  WireShapeError,
  list,
  nonEmptyString,
  object,
  optionalBoolean,
  optionalCount,
  optionalDate,
  optionalString,
  optionalStringRecord,
  readCreated,
  readWire,
  segment,
  withoutUnreadable,
  type WireObject,
} from './wire.js';

export interface CreateOctopusKeyInput {
  userId: string;
  purpose: string;
  /** `undefined`: the server's default expiry. `null`: the server's maximum. (Different on the wire.) */
  expires: Date | null | undefined;
  /** Sent only when given (2026 servers; older ones ignore it). */
  actorType?: OctopusActorType;
}

/** One page of a newest-first list, and how many items the whole (filtered) list has. */
export interface Page<T> {
  items: T[];
  /** `TotalResults`: the length of the whole list at the moment this page was read. */
  total: number;
}

const HINT_LENGTH = 8;

/** What the gateway shows of a secret: the same first 8 characters Octopus keeps as its hint. */
export function octopusHint(secret: string): string {
  return secret.slice(0, HINT_LENGTH);
}

// Wire shapes (contracts/octopus.md §4), read in document order so a problem is reported where a
// schema would report it first. An enum value this version does not know reads as null rather than
// failing the whole list.
const ACCESS_LEVELS: Record<string, OctopusAccessLevel> = { FullAccess: 'FULL_ACCESS', ReadOnly: 'READ_ONLY', Custom: 'CUSTOM' };
const ACTOR_TYPES: Record<string, OctopusActorType> = { User: 'USER', AiAgent: 'AI_AGENT' };
const WIRE_ACTOR_TYPES: Record<OctopusActorType, string> = { USER: 'User', AI_AGENT: 'AiAgent' };

const known = <T>(values: Record<string, T>, text: string | undefined): T | null =>
  text !== undefined && Object.hasOwn(values, text) ? values[text]! : null;

/** `ApiKey` of a listed key: 2021.2+ a SensitiveValue with a Hint; older servers a plain string. */
function listedHint(o: WireObject): string | null {
  const raw = o.ApiKey;
  if (raw === undefined || raw === null) return null;
  // Older servers send a string here; keep only what a hint would show, whatever it holds.
  if (typeof raw === 'string') return raw.startsWith('API-') ? octopusHint(raw) : null;
  if (typeof raw === 'object' && !Array.isArray(raw)) {
    const hint = (raw as WireObject).Hint;
    if (hint === undefined || hint === null || typeof hint === 'string') return hint || null;
  }
  throw new WireShapeError(['ApiKey']);
}

/** `ApiKey` of a key just created: the whole secret, which must be there. */
const createdHint = (o: WireObject) => octopusHint(nonEmptyString(o, 'ApiKey'));

/** The fields of a created key's answer it can do without (see withoutUnreadable). */
const CREATED_OPTIONAL = [
  ['Purpose', optionalString],
  ['Created', optionalDate],
  ['Expires', optionalDate],
  ['LastUsedTimeStamp', optionalDate],
  ['IsLastUsedTimestampKnown', optionalBoolean],
  ['AccessLevel', optionalString],
  ['ActorType', optionalString],
] as const;

/**
 * A listed key's access level. Servers before access levels (2026) send no `AccessLevel` at all, and
 * every key there acts with all its user's permissions: full access, as the server has no other.
 * A value this version does not know, or null, reads as unknown.
 */
const listedAccessLevel = (o: WireObject): OctopusAccessLevel | null =>
  Object.hasOwn(o, 'AccessLevel') ? known(ACCESS_LEVELS, optionalString(o, 'AccessLevel')) : 'FULL_ACCESS';

/** A created key's: its answer carries no level even where the server has them (contracts/octopus.md §3). */
const createdAccessLevel = (o: WireObject): OctopusAccessLevel | null => known(ACCESS_LEVELS, optionalString(o, 'AccessLevel'));

/** An ApiKeyResource (its properties in document order: the first problem is the one reported). */
function readApiKey(
  account: string,
  value: unknown,
  hint: (o: WireObject) => string | null = listedHint,
  accessLevel: (o: WireObject) => OctopusAccessLevel | null = listedAccessLevel,
): OctopusApiKey {
  const o = object(value);
  return {
    provider: 'OCTOPUS',
    account,
    id: nonEmptyString(o, 'Id'),
    userId: nonEmptyString(o, 'UserId'),
    purpose: optionalString(o, 'Purpose') ?? '',
    keyHint: hint(o),
    createdAt: optionalDate(o, 'Created') ?? null,
    expiresAt: optionalDate(o, 'Expires') ?? null,
    lastUsedAt: optionalDate(o, 'LastUsedTimeStamp') ?? null,
    lastUsedKnown: optionalBoolean(o, 'IsLastUsedTimestampKnown') === true,
    accessLevel: accessLevel(o),
    actorType: known(ACTOR_TYPES, optionalString(o, 'ActorType')),
  };
}

function readUser(value: unknown): OctopusUser {
  const o = object(value);
  const id = nonEmptyString(o, 'Id');
  const username = optionalString(o, 'Username');
  return { id, username: username ?? '', displayName: optionalString(o, 'DisplayName') ?? username ?? '', isService: optionalBoolean(o, 'IsService') ?? null };
}

/** A ResourceCollection: `Items`, then `TotalResults` and `Links`. */
function readCollection<T>(body: unknown, read: (value: unknown) => T) {
  const o = object(body);
  const items = list(o, 'Items', read);
  const total = optionalCount(o, 'TotalResults');
  const next = optionalStringRecord(o, 'Links')?.['Page.Next'];
  return { items, total, hasNext: Boolean(next) };
}

/** Octopus error bodies: `ErrorMessage`, plus `Errors[]` on validation failures. */
export function describeOctopusError(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { ErrorMessage, Errors } = body as { ErrorMessage?: unknown; Errors?: unknown };
  const parts: string[] = [];
  if (typeof ErrorMessage === 'string' && ErrorMessage) parts.push(ErrorMessage);
  if (Array.isArray(Errors)) {
    for (const e of Errors) if (typeof e === 'string' && e && !parts.includes(e)) parts.push(e);
  }
  return parts.length > 0 ? parts.join(' ') : undefined;
}

/**
 * Octopus answers 404 for an unknown key, and 400 "This ApiKey does not belong to the specified
 * user." for a key asked for under another user: either way, this user has no such key.
 */
function isNoSuchKey(error: unknown): error is UpstreamError {
  return (
    error instanceof UpstreamError &&
    (error.status === 404 || (error.status === 400 && /does not belong/i.test(error.message)))
  );
}

/** Date as Octopus writes them: milliseconds and a numeric offset. */
function octopusDate(date: Date): string {
  return date.toISOString().replace('Z', '+00:00');
}

const ROUTES = {
  me: '/users/me',
  users: '/users',
  user: '/users/{userId}',
  keys: '/users/{userId}/apikeys',
  key: '/users/{userId}/apikeys/{id}',
} as const;

/**
 * Typed client for the Octopus routes keygate uses, bound to one account and one credential (sent
 * as `X-Octopus-ApiKey`). Cheap to create: the connection pool lives in the shared `UpstreamHttp`.
 * Reads page with `skip`/`take`; walking a whole list is the caller's business (octopus-walk.ts),
 * because only the caller knows how much of it a request needs.
 */
export class OctopusClient {
  constructor(
    private readonly http: UpstreamHttp,
    readonly account: string,
    private readonly apiKey: string,
    private readonly options: { observer?: UpstreamObserver; redact?: readonly string[]; beforeCreate?: () => void; beforeCall?: () => void } = {},
  ) {}

  async currentUser(): Promise<OctopusUser> {
    const { body } = await this.send({ method: 'GET', route: ROUTES.me, path: '/users/me', retry: true });
    return readWire('OCTOPUS', readUser, body, 'the current user');
  }

  /** One user, or null when there is none. */
  async getUser(userId: string): Promise<OctopusUser | null> {
    try {
      const { body } = await this.send({ method: 'GET', route: ROUTES.user, path: `/users/${segment(userId)}`, retry: true });
      return readWire('OCTOPUS', readUser, body, 'a user');
    } catch (error) {
      if (error instanceof UpstreamError && error.status === 404) return null;
      throw error;
    }
  }

  /** A page of the instance's users and service accounts (needs permission to view users). */
  async listUsers(skip: number, take: number): Promise<Page<OctopusUser>> {
    const { body } = await this.send({ method: 'GET', route: ROUTES.users, path: `/users?skip=${skip}&take=${take}`, retry: true });
    const page = readWire('OCTOPUS', (b) => readCollection(b, readUser), body, 'the list of users');
    return { items: page.items, total: page.total ?? skip + page.items.length };
  }

  /**
   * A page of a user's keys, newest first. `partialPurpose` filters on the server (2026 docs); an
   * older server ignores it, so callers must still check what comes back.
   */
  async listKeys(userId: string, page: { skip: number; take: number; partialPurpose?: string }, lookup?: Lookup): Promise<Page<OctopusApiKey>> {
    let path = `/users/${segment(userId)}/apikeys?skip=${page.skip}&take=${page.take}`;
    if (page.partialPurpose) path += `&partialPurpose=${encodeURIComponent(page.partialPurpose)}`;
    const { body } = await this.send({ method: 'GET', route: ROUTES.keys, path, retry: true, ...lookup });
    const collection = readWire('OCTOPUS', (b) => readCollection(b, (item) => readApiKey(this.account, item)), body, 'the list of API keys');
    return {
      items: collection.items,
      total: collection.total ?? page.skip + collection.items.length + (collection.hasNext ? 1 : 0),
    };
  }

  /** One key, or null when the user has no such key. */
  async getKey(userId: string, id: string): Promise<OctopusApiKey | null> {
    try {
      const { body } = await this.send({
        method: 'GET',
        route: ROUTES.key,
        path: `/users/${segment(userId)}/apikeys/${segment(id)}`,
        retry: true,
      });
      return readWire('OCTOPUS', (b) => readApiKey(this.account, b), body, 'an API key');
    } catch (error) {
      if (isNoSuchKey(error)) return null;
      throw error;
    }
  }

  /** Mints a key. Never retried: a repeat could mint a second key. The secret is in the result only. */
  async createKey(input: CreateOctopusKeyInput): Promise<{ apiKey: OctopusApiKey; secret: string }> {
    const body: Record<string, unknown> = { UserId: input.userId, Purpose: input.purpose };
    if (input.expires !== undefined) body.Expires = input.expires === null ? null : octopusDate(input.expires);
    if (input.actorType) body.ActorType = WIRE_ACTOR_TYPES[input.actorType];
    const sentAt = Date.now();
    const response = await this.send({
      method: 'POST',
      route: ROUTES.keys,
      path: `/users/${segment(input.userId)}/apikeys`,
      body,
      retry: false,
      beforeSend: this.options.beforeCreate,
    });
    let apiKey: OctopusApiKey;
    try {
      apiKey = readCreated('OCTOPUS', response.status, () =>
        readWire('OCTOPUS', (b) => readApiKey(this.account, withoutUnreadable(b, CREATED_OPTIONAL), createdHint, createdAccessLevel), response.body, 'the new API key'),
      );
    } catch (error) {
      // The answer holds the secret but not a key keygate can read (an id of another shape): the key
      // exists, and this secret is its only copy. Find it among the user's newest keys instead.
      const secret = (response.body as WireObject | null)?.ApiKey;
      if (typeof secret !== 'string' || secret.length === 0) throw error;
      const found = await this.findCreated(input.userId, input.purpose, secret, sentAt, lookupAfter(response));
      if (!found) throw error;
      apiKey = found;
    }
    // An expiry it wrote unreadably is not "never": the one keygate asked for, when it asked for one.
    const wrote = (response.body as WireObject).Expires;
    if (apiKey.expiresAt === null && wrote !== undefined && wrote !== null && input.expires) apiKey.expiresAt = input.expires;
    return { apiKey, secret: (response.body as WireObject).ApiKey as string };
  }

  /**
   * The key a create just made, when its answer held the secret but no key keygate could read: the
   * one key of that purpose among the user's newest whose hint is the secret's and that was created
   * since the create was sent. Undefined when the list cannot say; the create then stays "may have
   * created". The caller's budget counted this call with the create (OctopusSession.create).
   */
  private async findCreated(userId: string, purpose: string, secret: string, sentAt: number, lookup: Lookup): Promise<OctopusApiKey | undefined> {
    try {
      const page = await this.listKeys(userId, { skip: 0, take: 30, partialPurpose: purpose }, lookup);
      return madeSince(page.items, { name: purpose, hint: octopusHint(secret), sentAt });
    } catch {
      return undefined; // the create's own error says what matters: the key may exist
    }
  }

  /**
   * Revokes a key; any 2xx is success and its body is ignored (servers differ: nothing, `{}`, a
   * task). A key this user does not have is NOT_FOUND, whichever way Octopus says so.
   */
  async deleteKey(userId: string, id: string): Promise<void> {
    try {
      await this.send({
        method: 'DELETE',
        route: ROUTES.key,
        path: `/users/${segment(userId)}/apikeys/${segment(id)}`,
        retry: false,
        expect: 'none',
      });
    } catch (error) {
      if (isNoSuchKey(error) && error.code !== 'NOT_FOUND') {
        throw new UpstreamError('OCTOPUS', 'NOT_FOUND', error.message, error.status);
      }
      throw error;
    }
  }

  private send(req: Omit<UpstreamRequest, 'headers'>) {
    return this.http.request({
      ...req,
      headers: { 'x-octopus-apikey': this.apiKey },
      beforeSend: req.beforeSend ?? this.options.beforeCall,
      observer: this.options.observer,
      redact: this.options.redact,
    });
  }
}
