import { z } from 'zod';
import type { OctopusAccessLevel, OctopusActorType, OctopusApiKey, OctopusUser } from '../domain.js';
import { UpstreamError } from './errors.js';
import type { UpstreamHttp, UpstreamObserver, UpstreamRequest } from './http.js';
import { isoDate, readCreated, readWire, segment } from './wire.js';

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

// Wire shapes (contracts/octopus.md §4). Unknown properties are ignored; absent and null are alike;
// an enum value this version does not know reads as null rather than failing the whole list.
const SensitiveValue = z.object({ Hint: z.string().nullish() });
const ACCESS_LEVELS: Record<string, OctopusAccessLevel> = { FullAccess: 'FULL_ACCESS', ReadOnly: 'READ_ONLY', Custom: 'CUSTOM' };
const ACTOR_TYPES: Record<string, OctopusActorType> = { User: 'USER', AiAgent: 'AI_AGENT' };
const WIRE_ACTOR_TYPES: Record<OctopusActorType, string> = { USER: 'User', AI_AGENT: 'AiAgent' };
const ApiKeyResource = z.object({
  Id: z.string().min(1),
  UserId: z.string().min(1),
  Purpose: z.string().nullish(),
  // 2021.2+: a SensitiveValue with a Hint; older servers: a plain string.
  ApiKey: z.union([z.string(), SensitiveValue]).nullish(),
  Created: isoDate.nullish(),
  Expires: isoDate.nullish(),
  LastUsedTimeStamp: isoDate.nullish(),
  IsLastUsedTimestampKnown: z.boolean().nullish(),
  AccessLevel: z.string().nullish(),
  ActorType: z.string().nullish(),
});
const ApiKeyCreatedResource = ApiKeyResource.extend({ ApiKey: z.string().min(1) });
const Links = z.record(z.string(), z.string().nullish()).nullish();
const collection = <T extends z.ZodType>(item: T) =>
  z.object({ Items: z.array(item), TotalResults: z.number().int().nonnegative().nullish(), Links });
const ApiKeyCollection = collection(ApiKeyResource);
const UserResource = z.object({
  Id: z.string().min(1),
  Username: z.string().nullish(),
  DisplayName: z.string().nullish(),
  IsService: z.boolean().nullish(),
});
const UserCollection = collection(UserResource);

type WireApiKey = z.output<typeof ApiKeyResource>;

function toApiKey(account: string, wire: WireApiKey): OctopusApiKey {
  const raw = wire.ApiKey;
  let keyHint: string | null = null;
  if (typeof raw === 'string') {
    // Older servers send a string here; keep only what a hint would show, whatever it holds.
    keyHint = raw.startsWith('API-') ? octopusHint(raw) : null;
  } else if (raw?.Hint) {
    keyHint = raw.Hint;
  }
  return {
    provider: 'OCTOPUS',
    account,
    id: wire.Id,
    userId: wire.UserId,
    purpose: wire.Purpose ?? '',
    keyHint,
    createdAt: wire.Created ?? null,
    expiresAt: wire.Expires ?? null,
    lastUsedAt: wire.LastUsedTimeStamp ?? null,
    lastUsedKnown: wire.IsLastUsedTimestampKnown === true,
    accessLevel: (wire.AccessLevel && ACCESS_LEVELS[wire.AccessLevel]) || null,
    actorType: (wire.ActorType && ACTOR_TYPES[wire.ActorType]) || null,
  };
}

function toUser(wire: z.output<typeof UserResource>): OctopusUser {
  return {
    id: wire.Id,
    username: wire.Username ?? '',
    displayName: wire.DisplayName ?? wire.Username ?? '',
    isService: wire.IsService ?? null,
  };
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
    private readonly options: { observer?: UpstreamObserver; redact?: readonly string[] } = {},
  ) {}

  async currentUser(): Promise<OctopusUser> {
    const { body } = await this.send({ method: 'GET', route: ROUTES.me, path: '/users/me', retry: true });
    return toUser(readWire('OCTOPUS', UserResource, body, 'the current user'));
  }

  /** One user, or null when there is none. */
  async getUser(userId: string): Promise<OctopusUser | null> {
    try {
      const { body } = await this.send({ method: 'GET', route: ROUTES.user, path: `/users/${segment(userId)}`, retry: true });
      return toUser(readWire('OCTOPUS', UserResource, body, 'a user'));
    } catch (error) {
      if (error instanceof UpstreamError && error.status === 404) return null;
      throw error;
    }
  }

  /** A page of the instance's users and service accounts (needs permission to view users). */
  async listUsers(skip: number, take: number): Promise<Page<OctopusUser>> {
    const { body } = await this.send({ method: 'GET', route: ROUTES.users, path: `/users?skip=${skip}&take=${take}`, retry: true });
    const page = readWire('OCTOPUS', UserCollection, body, 'the list of users');
    return { items: page.Items.map(toUser), total: page.TotalResults ?? skip + page.Items.length };
  }

  /**
   * A page of a user's keys, newest first. `partialPurpose` filters on the server (2026 docs); an
   * older server ignores it, so callers must still check what comes back.
   */
  async listKeys(userId: string, page: { skip: number; take: number; partialPurpose?: string }): Promise<Page<OctopusApiKey>> {
    let path = `/users/${segment(userId)}/apikeys?skip=${page.skip}&take=${page.take}`;
    if (page.partialPurpose) path += `&partialPurpose=${encodeURIComponent(page.partialPurpose)}`;
    const { body } = await this.send({ method: 'GET', route: ROUTES.keys, path, retry: true });
    const collection = readWire('OCTOPUS', ApiKeyCollection, body, 'the list of API keys');
    return {
      items: collection.Items.map((item) => toApiKey(this.account, item)),
      total: collection.TotalResults ?? page.skip + collection.Items.length + (collection.Links?.['Page.Next'] ? 1 : 0),
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
      return toApiKey(this.account, readWire('OCTOPUS', ApiKeyResource, body, 'an API key'));
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
    const response = await this.send({
      method: 'POST',
      route: ROUTES.keys,
      path: `/users/${segment(input.userId)}/apikeys`,
      body,
      retry: false,
    });
    const created = readCreated('OCTOPUS', response.status, () => readWire('OCTOPUS', ApiKeyCreatedResource, response.body, 'the new API key'));
    const secret = created.ApiKey;
    return { apiKey: { ...toApiKey(this.account, { ...created, ApiKey: null }), keyHint: octopusHint(secret) }, secret };
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
      observer: this.options.observer,
      redact: this.options.redact,
    });
  }
}
