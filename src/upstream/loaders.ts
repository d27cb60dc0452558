import DataLoader from 'dataloader';
import { UpstreamError, providerNames, type Provider } from './errors.js';
import type { UpstreamObserver } from './http.js';
import { HyperstackClient, type HyperstackApiKey } from './hyperstack.js';
import { OctopusClient, type OctopusApiKey, type OctopusUser } from './octopus.js';
import type { Upstreams } from './upstreams.js';

export type ApiKeyRecord = OctopusApiKey | HyperstackApiKey;

export interface OctopusKeyRef {
  userId: string;
  id: string;
}

/** The credentials one request acts with: its own headers, else the gateway's configured ones. */
export interface RequestCredentials {
  octopus?: string;
  hyperstack?: string;
}

const CREDENTIAL_SOURCES: Record<Provider, string> = {
  OCTOPUS: 'OCTOPUS_API_KEY on the gateway, or an X-Octopus-ApiKey header',
  HYPERSTACK: 'HYPERSTACK_API_KEY on the gateway, or an X-Hyperstack-Api-Key header',
};

function missingCredential(provider: Provider): UpstreamError {
  return new UpstreamError(
    provider,
    'UNAUTHENTICATED',
    `No ${providerNames[provider]} credential: set ${CREDENTIAL_SOURCES[provider]}.`,
  );
}

function notConfigured(provider: Provider): UpstreamError {
  return new UpstreamError(
    provider,
    'UPSTREAM_UNAVAILABLE',
    `${providerNames[provider]} is not configured on this gateway (set OCTOPUS_URL).`,
  );
}

const refKey = (ref: OctopusKeyRef) => `${ref.userId}/${ref.id}`;

/**
 * Request-scoped access to both providers, shaped so a request makes as few upstream calls as the
 * data allows (design: "Upstream calls"):
 * - every read is memoised for the request;
 * - the current Octopus user is remembered per credential across requests;
 * - many Octopus ids of one user cost one list walk; a lone id costs one GET, unless the same
 *   request is listing that user's keys anyway;
 * - every Hyperstack key comes from one list call (Hyperstack has no get-by-id).
 */
export class Loaders {
  private readonly octopusClient?: OctopusClient;
  private readonly hyperstackClient?: HyperstackClient;
  /** Each user's whole list, once per request. */
  private readonly octopusLists = new Map<string, Promise<OctopusApiKey[]>>();
  private readonly octopusKeys: DataLoader<OctopusKeyRef, OctopusApiKey | null, string>;
  /** Users whose whole key list this request is loading (or will, once `me` is known). */
  private readonly listIntents: Promise<string | undefined>[] = [];
  private hyperstackList?: Promise<HyperstackApiKey[]>;
  /** Also per request: with the cross-request cache off (TTL 0), one request still asks once. */
  private me?: Promise<OctopusUser>;

  constructor(
    private readonly upstreams: Upstreams,
    private readonly credentials: RequestCredentials,
    observer?: UpstreamObserver,
  ) {
    if (upstreams.octopus && credentials.octopus) {
      this.octopusClient = new OctopusClient(upstreams.octopus, credentials.octopus, { observer });
    }
    if (credentials.hyperstack) {
      this.hyperstackClient = new HyperstackClient(upstreams.hyperstack, credentials.hyperstack, { observer });
    }
    this.octopusKeys = new DataLoader((refs) => this.loadOctopusKeys(refs), { cacheKeyFn: refKey });
  }

  /** Whether this gateway talks to a provider at all (Octopus is optional). */
  isConfigured(provider: Provider): boolean {
    return provider === 'HYPERSTACK' || this.upstreams.octopus !== undefined;
  }

  /** Whether this request can act at a provider: it is configured, and there is a credential (the request's own or the gateway's). */
  hasCredential(provider: Provider): boolean {
    return provider === 'OCTOPUS' ? this.octopusClient !== undefined : this.hyperstackClient !== undefined;
  }

  /** The Octopus client for this request's credential; throws UNAUTHENTICATED when there is none. */
  octopus(): OctopusClient {
    if (!this.upstreams.octopus) throw notConfigured('OCTOPUS');
    if (!this.octopusClient) throw missingCredential('OCTOPUS');
    return this.octopusClient;
  }

  hyperstack(): HyperstackClient {
    if (!this.hyperstackClient) throw missingCredential('HYPERSTACK');
    return this.hyperstackClient;
  }

  currentOctopusUser(): Promise<OctopusUser> {
    try {
      const client = this.octopus();
      this.me ??= this.upstreams.octopusUsers.get(this.credentials.octopus!, () => client.currentUser());
      return this.me;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Every key of one Octopus user (the current user when `userId` is absent), newest first. */
  octopusKeysOf(userId?: string): Promise<OctopusApiKey[]> {
    const user = userId !== undefined ? Promise.resolve(userId) : this.currentOctopusUser().then((u) => u.id);
    this.listIntents.push(user.catch(() => undefined));
    return user.then((id) => this.octopusListOf(id)).then((keys) => {
      for (const key of keys) this.octopusKeys.prime(key, key);
      return keys;
    });
  }

  private octopusListOf(userId: string): Promise<OctopusApiKey[]> {
    let list = this.octopusLists.get(userId);
    if (!list) {
      try {
        list = this.octopus().listKeys(userId);
      } catch (error) {
        return Promise.reject(error);
      }
      this.octopusLists.set(userId, list);
    }
    return list;
  }

  octopusKey(ref: OctopusKeyRef): Promise<OctopusApiKey | null> {
    return this.octopusKeys.load(ref);
  }

  hyperstackKeys(): Promise<HyperstackApiKey[]> {
    if (!this.hyperstackList) {
      try {
        this.hyperstackList = this.hyperstack().listKeys();
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.hyperstackList;
  }

  async hyperstackKey(id: string): Promise<HyperstackApiKey | null> {
    const keys = await this.hyperstackKeys();
    return keys.find((key) => key.id === id) ?? null;
  }

  /** After a mutation, later reads in the same request see the change. */
  forgetOctopusUser(userId: string): void {
    this.octopusLists.delete(userId);
    this.octopusKeys.clearAll();
  }

  forgetHyperstack(): void {
    this.hyperstackList = undefined;
  }

  /** Octopus ids grouped by user: a user's list serves when it is loaded anyway or several ids are asked. */
  private async loadOctopusKeys(refs: readonly OctopusKeyRef[]): Promise<(OctopusApiKey | null | Error)[]> {
    const byUser = new Map<string, OctopusKeyRef[]>();
    for (const ref of refs) {
      const group = byUser.get(ref.userId);
      if (group) group.push(ref);
      else byUser.set(ref.userId, [ref]);
    }
    const listed = new Set(await Promise.all(this.listIntents));
    const found = new Map<string, OctopusApiKey | null | Error>();
    await Promise.all(
      [...byUser].map(async ([userId, group]) => {
        try {
          if (group.length === 1 && !listed.has(userId)) {
            const ref = group[0]!;
            found.set(refKey(ref), await this.octopus().getKey(userId, ref.id));
            return;
          }
          const keys = await this.octopusListOf(userId);
          const byId = new Map(keys.map((key) => [key.id, key]));
          for (const ref of group) found.set(refKey(ref), byId.get(ref.id) ?? null);
        } catch (error) {
          for (const ref of group) found.set(refKey(ref), error as Error);
        }
      }),
    );
    return refs.map((ref) => found.get(refKey(ref)) ?? null);
  }
}
