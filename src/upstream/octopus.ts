import { z } from 'zod';
import { UpstreamError } from './errors.js';
import type { UpstreamHttp, UpstreamObserver, UpstreamRequest } from './http.js';
import { isoDate, readWire, segment } from './wire.js';

/** An Octopus API key as the rest of keygate sees it: camelCase, `Date`s, no wire names. */
export interface OctopusApiKey {
  provider: 'OCTOPUS';
  id: string;
  userId: string;
  purpose: string;
  /** The first 8 characters of the secret (`API-ABCD`), all Octopus reveals after creation. */
  keyHint: string | null;
  createdAt: Date | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

export interface OctopusUser {
  id: string;
  username: string;
  displayName: string;
}

export interface CreateOctopusKeyInput {
  userId: string;
  purpose: string;
  /** `undefined`: the server's default expiry. `null`: the server's maximum. (Different on the wire.) */
  expires: Date | null | undefined;
}

const HINT_LENGTH = 8;

/** What the gateway shows of a secret: the same first 8 characters Octopus keeps as its hint. */
export function octopusHint(secret: string): string {
  return secret.slice(0, HINT_LENGTH);
}

// Wire shapes (contracts/octopus.md §4). Unknown properties are ignored; absent and null are alike.
const SensitiveValue = z.object({ Hint: z.string().nullish() });
const ApiKeyResource = z.object({
  Id: z.string().min(1),
  UserId: z.string().min(1),
  Purpose: z.string().nullish(),
  // 2021.2+: a SensitiveValue with a Hint; older servers: a plain string.
  ApiKey: z.union([z.string(), SensitiveValue]).nullish(),
  Created: isoDate.nullish(),
  Expires: isoDate.nullish(),
  LastUsedTimeStamp: isoDate.nullish(),
});
const ApiKeyCreatedResource = ApiKeyResource.extend({ ApiKey: z.string().min(1) });
const ApiKeyCollection = z.object({
  Items: z.array(ApiKeyResource),
  Links: z.record(z.string(), z.string().nullish()).nullish(),
});
const UserResource = z.object({
  Id: z.string().min(1),
  Username: z.string().nullish(),
  DisplayName: z.string().nullish(),
});

type WireApiKey = z.output<typeof ApiKeyResource>;

function toApiKey(wire: WireApiKey): OctopusApiKey {
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
    id: wire.Id,
    userId: wire.UserId,
    purpose: wire.Purpose ?? '',
    keyHint,
    createdAt: wire.Created ?? null,
    expiresAt: wire.Expires ?? null,
    lastUsedAt: wire.LastUsedTimeStamp ?? null,
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
  keys: '/users/{userId}/apikeys',
  key: '/users/{userId}/apikeys/{id}',
} as const;

/** Safety net against a server whose `Page.Next` never ends. */
const MAX_PAGES = 1_000;

/**
 * Typed client for the Octopus API-key routes, bound to one credential (sent as `X-Octopus-ApiKey`).
 * Cheap to create: the connection pool lives in the shared `UpstreamHttp`.
 */
export class OctopusClient {
  constructor(
    private readonly http: UpstreamHttp,
    private readonly apiKey: string,
    private readonly options: { pageSize?: number; observer?: UpstreamObserver } = {},
  ) {}

  async currentUser(): Promise<OctopusUser> {
    const { body } = await this.send({ method: 'GET', route: ROUTES.me, path: '/users/me', retry: true });
    const user = readWire('OCTOPUS', UserResource, body, 'the current user');
    return { id: user.Id, username: user.Username ?? '', displayName: user.DisplayName ?? user.Username ?? '' };
  }

  /** Every key of a user, newest first, walking `Page.Next` with a large page size. */
  async listKeys(userId: string): Promise<OctopusApiKey[]> {
    const take = this.options.pageSize ?? 1_000;
    let path: string | undefined = `/users/${segment(userId)}/apikeys?skip=0&take=${take}`;
    const keys: OctopusApiKey[] = [];
    const seen = new Set<string>();
    for (let page = 0; path !== undefined; page++) {
      if (page >= MAX_PAGES || seen.has(path)) {
        throw new UpstreamError('OCTOPUS', 'UPSTREAM_ERROR', 'Octopus Deploy kept answering with more pages of API keys than keygate will follow.');
      }
      seen.add(path);
      const { body } = await this.send({ method: 'GET', route: ROUTES.keys, path, retry: true });
      const collection = readWire('OCTOPUS', ApiKeyCollection, body, 'the list of API keys');
      for (const item of collection.Items) keys.push(toApiKey(item));
      const next = collection.Links?.['Page.Next'];
      path = next && collection.Items.length > 0 ? this.http.pathBelowBase(next) : undefined;
      if (next && collection.Items.length > 0 && path === undefined) {
        throw new UpstreamError('OCTOPUS', 'UPSTREAM_ERROR', 'Octopus Deploy sent a paging link outside its own API; keygate did not follow it.');
      }
    }
    return keys;
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
      return toApiKey(readWire('OCTOPUS', ApiKeyResource, body, 'an API key'));
    } catch (error) {
      if (isNoSuchKey(error)) return null;
      throw error;
    }
  }

  /** Mints a key. Never retried: a repeat could mint a second key. The secret is in the result only. */
  async createKey(input: CreateOctopusKeyInput): Promise<{ apiKey: OctopusApiKey; secret: string }> {
    const body: Record<string, unknown> = { UserId: input.userId, Purpose: input.purpose };
    if (input.expires !== undefined) body.Expires = input.expires === null ? null : octopusDate(input.expires);
    const response = await this.send({
      method: 'POST',
      route: ROUTES.keys,
      path: `/users/${segment(input.userId)}/apikeys`,
      body,
      retry: false,
    });
    const created = readWire('OCTOPUS', ApiKeyCreatedResource, response.body, 'the new API key');
    const secret = created.ApiKey;
    return { apiKey: { ...toApiKey({ ...created, ApiKey: null }), keyHint: octopusHint(secret) }, secret };
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
    });
  }
}
