import type { HyperstackApiKey } from '../domain.js';
import { UpstreamError } from './errors.js';
import { lookupAfter, madeSince, type Lookup } from './created-lookup.js';
import type { UpstreamHttp, UpstreamObserver, UpstreamRequest } from './http.js';
import { field, list, nonEmptyString, object, optionalDateUtcDefault, optionalString, readCreated, readWire, safeInteger, segment, withoutUnreadable } from './wire.js';

/**
 * What a Hyperstack account authenticates with: an API key (header `api_key`), a login access token
 * (`Authorization: Bearer …`), or both. The seed authenticates key generation with the access token
 * only; the other three operations accept either (contracts/hyperstack.md §4).
 */
export interface HyperstackCredentials {
  apiKey?: string;
  accessToken?: string;
}

export interface HyperstackKeyFields {
  name: string;
  description: string | null;
}

const HINT_LENGTH = 4;

export function hyperstackHint(key: string): string {
  return key.slice(-HINT_LENGTH);
}

// Wire shapes (contracts/hyperstack.md §2.1), read in document order so a problem is reported where
// a schema would report it first.

/** An ApiKeyFields object; `secret` for generate, the one answer that must carry the whole key. */
function readApiKey(account: string, value: unknown, secret = false): HyperstackApiKey {
  const o = object(value);
  // A generated key's id may come as digits in a string, as an old docs page shows it: read so
  // rather than lose the secret beside it.
  const id = secret && typeof o.id === 'string' && /^\d{1,15}$/.test(o.id) ? Number(o.id) : safeInteger(o, 'id');
  const name = optionalString(o, 'name');
  const description = optionalString(o, 'description');
  const key = secret ? nonEmptyString(o, 'key') : optionalString(o, 'key');
  return {
    provider: 'HYPERSTACK',
    account,
    id: String(id),
    name: name ?? '',
    description: description ? description : null,
    keyHint: key ? hyperstackHint(key) : null,
    // Seen both as '2024-06-14T13:29:50' (no zone: UTC) and '2026-05-06T15:18:42Z'.
    createdAt: optionalDateUtcDefault(o, 'created_at') ?? null,
  };
}

/** The secret in a generate answer, if it is there at all (whatever else is wrong with the answer). */
function secretOf(body: unknown): string | undefined {
  const key = (body as { api_key?: { key?: unknown } } | null)?.api_key?.key;
  return typeof key === 'string' && key.length > 0 ? key : undefined;
}

/** The fields of a generated key's answer it can do without (see withoutUnreadable). */
const CREATED_OPTIONAL = [
  ['name', optionalString],
  ['description', optionalString],
  ['created_at', optionalDateUtcDefault],
] as const;

/** Hyperstack error bodies: `{status:false, message, error_reason}`, or the legacy `{message}` on 5xx. */
export function describeHyperstackError(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { message } = body as { message?: unknown };
  return typeof message === 'string' && message ? message : undefined;
}

/** Generate and update take the same payload; an empty description is how Hyperstack writes "none". */
const payload = (fields: HyperstackKeyFields) => ({ name: fields.name, description: fields.description ?? '' });

const ROUTES = {
  list: '/api-key',
  generate: '/api-key/generate',
  key: '/api-key/{api_key_id}',
} as const;

/**
 * Typed client for the Hyperstack API-key routes, bound to one account and its credentials.
 * Hyperstack has no get-by-id: one list call answers for every key.
 */
export class HyperstackClient {
  constructor(
    private readonly http: UpstreamHttp,
    readonly account: string,
    private readonly credentials: HyperstackCredentials,
    private readonly options: { observer?: UpstreamObserver; redact?: readonly string[]; beforeCreate?: () => void; beforeCall?: () => void } = {},
  ) {}

  /** Every key of the account. With `lookup` (findGenerated): with the credential generate used only. */
  async listKeys(lookup?: Lookup): Promise<HyperstackApiKey[]> {
    const { body } = await this.send({ method: 'GET', route: ROUTES.list, path: ROUTES.list, retry: true, ...lookup }, lookup ? 'access-token-first' : 'api-key-first');
    return readWire('HYPERSTACK', (b) => list(object(b), 'api_keys', (item) => readApiKey(this.account, item)), body, 'the list of API keys');
  }

  /**
   * Mints a key, with the access token when the account has one (the seed accepts nothing else
   * there), else the API key. Never retried: a repeat could mint a second key. The secret is in the
   * result only.
   */
  async generateKey(fields: HyperstackKeyFields): Promise<{ apiKey: HyperstackApiKey; secret: string }> {
    const response = await this.send(
      { method: 'POST', route: ROUTES.generate, path: ROUTES.generate, body: payload(fields), retry: false, beforeSend: this.options.beforeCreate },
      'access-token-first',
    );
    const { status, body } = response;
    let apiKey: HyperstackApiKey;
    try {
      apiKey = readCreated('HYPERSTACK', status, () =>
        readWire('HYPERSTACK', (b) => field(object(b), 'api_key', (key) => readApiKey(this.account, withoutUnreadable(key, CREATED_OPTIONAL), true)), body, 'the new API key'),
      );
    } catch (error) {
      // The answer holds the secret but no id keygate can read: the key exists, and this secret is
      // its only copy. Find it in the list rather than throw the secret away (created-lookup.ts).
      const secret = secretOf(body);
      if (secret === undefined) throw error;
      const found = await this.findGenerated(fields.name, secret, lookupAfter(response));
      if (!found) throw error;
      apiKey = found;
    }
    return { apiKey, secret: (body as { api_key: { key: string } }).api_key.key };
  }

  /**
   * The key a generate just made, from the list (see created-lookup.ts): names are unique in an
   * account, so name and hint find it, whatever its date. Undefined when the list cannot say.
   */
  private async findGenerated(name: string, secret: string, lookup: Lookup): Promise<HyperstackApiKey | undefined> {
    try {
      return madeSince(await this.listKeys(lookup), { name, hint: hyperstackHint(secret) });
    } catch {
      return undefined; // the create's own error says what matters: the key may exist
    }
  }

  /** Renames a key. Both fields are always sent: whether an absent description clears it is undocumented. */
  async updateKey(id: string, fields: HyperstackKeyFields): Promise<HyperstackApiKey> {
    const { status, body } = await this.send({
      method: 'PUT',
      route: ROUTES.key,
      path: `/api-key/${segment(id)}`,
      body: payload(fields),
      retry: false,
    });
    // A 2xx keygate cannot read still renamed the key: the error says the write took effect.
    return readCreated('HYPERSTACK', status, () =>
      readWire('HYPERSTACK', (b) => field(object(b), 'api_key', (key) => readApiKey(this.account, key)), body, 'the updated API key'),
    );
  }

  async deleteKey(id: string): Promise<void> {
    await this.send({ method: 'DELETE', route: ROUTES.key, path: `/api-key/${segment(id)}`, retry: false, expect: 'none' });
  }

  private send(req: Omit<UpstreamRequest, 'headers'>, prefer: 'api-key-first' | 'access-token-first' = 'api-key-first') {
    const { apiKey, accessToken } = this.credentials;
    const useToken = accessToken !== undefined && (prefer === 'access-token-first' || apiKey === undefined);
    if (!useToken && apiKey === undefined) {
      throw new UpstreamError('HYPERSTACK', 'UNAUTHENTICATED', 'No Hyperstack credential for this account.');
    }
    const headers: Record<string, string> = useToken ? { authorization: `Bearer ${accessToken}` } : { api_key: apiKey! };
    return this.http.request({ ...req, headers, beforeSend: req.beforeSend ?? this.options.beforeCall, observer: this.options.observer, redact: this.options.redact });
  }
}
