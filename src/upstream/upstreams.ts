import { createHmac, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { AccountConfig, Config } from '../config.js';
import type { Account, OctopusUser, Provider } from '../domain.js';
import { UpstreamHttp, type UpstreamHttpOptions } from './http.js';
import { describeHyperstackError } from './hyperstack.js';
import { describeOctopusError } from './octopus.js';
import { HeavyWorkLimiter, SharedLists, heavyListKeys } from './shared-lists.js';

/**
 * Turns a credential into the key caches use: an HMAC under a per-process secret, so no cache ever
 * holds a credential. The base URL is part of it: one credential at two servers is two identities.
 */
export class CredentialKeys {
  private readonly salt = randomBytes(32);
  /** Most requests use a configured credential: their keys are computed once. */
  private readonly known = new Map<string, string>();

  constructor(configured: { baseUrl: string; credential: string }[] = []) {
    for (const { baseUrl, credential } of configured) this.known.set(`${baseUrl}\u0000${credential}`, this.hmac(baseUrl, credential));
  }

  of(baseUrl: string, credential: string): string {
    return this.known.get(`${baseUrl}\u0000${credential}`) ?? this.hmac(baseUrl, credential);
  }

  private hmac(baseUrl: string, credential: string): string {
    return createHmac('sha256', this.salt).update(baseUrl).update('\u0000').update(credential).digest('base64url');
  }
}

/**
 * Remembers which Octopus user a credential belongs to, so `GET /api/users/me` is called once per
 * credential for a while rather than once per request. Concurrent first requests share one lookup;
 * a failed lookup is not remembered.
 */
export class CurrentUserCache {
  private readonly cache: LRUCache<string, Promise<OctopusUser>>;
  private readonly enabled: boolean;

  constructor(ttlMs: number, max = 10_000) {
    this.cache = new LRUCache({ max, ttl: Math.max(ttlMs, 1) });
    this.enabled = ttlMs > 0;
  }

  get(who: string, lookup: () => Promise<OctopusUser>): Promise<OctopusUser> {
    if (!this.enabled) return lookup();
    const cached = this.cache.get(who);
    if (cached) return cached;
    const pending = lookup();
    this.cache.set(who, pending);
    pending.catch(() => {
      if (this.cache.get(who) === pending) this.cache.delete(who);
    });
    return pending;
  }
}

/** One configured account at run time: its settings, what clients may see of it, and its pool. */
export interface AccountRuntime {
  config: AccountConfig;
  account: Account;
  http: UpstreamHttp;
}

export type UpstreamHooks = Pick<UpstreamHttpOptions, 'observer' | 'onCircuitStateChange'>;

/**
 * The process-wide upstream state, built once and shared by requests: the accounts, one pool (and
 * circuit breaker) per provider base URL, and the caches that span requests.
 */
export class Upstreams {
  readonly accounts: readonly AccountRuntime[];
  readonly users: CurrentUserCache;
  readonly lists: SharedLists;
  readonly heavy: HeavyWorkLimiter;
  /**
   * How many keys each list had when last read (by list and credential HMAC), so a whole-list read
   * is admitted by HeavyWorkLimiter with the weight it will hold before it holds it.
   */
  readonly listSizes: LRUCache<string, number>;
  readonly credentialKeys: CredentialKeys;
  private readonly pools: UpstreamHttp[];

  constructor(
    config: Pick<Config, 'accounts' | 'upstream' | 'octopusUserTtlMs' | 'lists'>,
    hooks: (provider: Provider) => UpstreamHooks = () => ({}),
  ) {
    const pools = new Map<string, UpstreamHttp>();
    this.accounts = config.accounts.map((account) => {
      const poolKey = `${account.provider} ${account.baseUrl}`;
      let http = pools.get(poolKey);
      if (!http) {
        http = new UpstreamHttp({
          provider: account.provider,
          baseUrl: account.baseUrl,
          describeError: account.provider === 'OCTOPUS' ? describeOctopusError : describeHyperstackError,
          ...config.upstream,
          maxResponseBytes: config.upstream.maxResponseBytes,
          ...hooks(account.provider),
        });
        pools.set(poolKey, http);
      }
      return { config: account, account: { name: account.name, provider: account.provider, host: new URL(account.baseUrl).host }, http };
    });
    this.pools = [...pools.values()];
    this.users = new CurrentUserCache(config.octopusUserTtlMs);
    this.lists = new SharedLists({
      ttlMs: config.lists.cacheTtlMs,
      dedupe: config.lists.dedupe,
      // At most one list of the largest size allowed (MAX_LIST_KEYS records) at a time.
      maxEntriesSize: config.lists.maxKeys,
    });
    this.heavy = new HeavyWorkLimiter(config.lists.heavyConcurrency, config.lists.heavyWaitMs, config.lists.heavyKeys ?? heavyListKeys());
    this.listSizes = new LRUCache({ max: 10_000 });
    this.credentialKeys = new CredentialKeys(
      config.accounts.flatMap((a) =>
        [a.apiKey, a.accessToken].filter((c): c is string => c !== undefined).map((credential) => ({ baseUrl: a.baseUrl, credential })),
      ),
    );
  }

  ofProvider(provider: Provider): AccountRuntime[] {
    return this.accounts.filter((a) => a.account.provider === provider);
  }

  find(provider: Provider, name: string): AccountRuntime | undefined {
    return this.accounts.find((a) => a.account.provider === provider && a.account.name === name);
  }

  /** Each pool, once (for readiness probes). */
  get httpPools(): readonly UpstreamHttp[] {
    return this.pools;
  }

  /** Closes the pools once their in-flight requests are done. */
  async close(): Promise<void> {
    await Promise.all(this.pools.map((pool) => pool.close()));
  }

  /** Closes the pools now, failing whatever is still in flight: for shutdown after the grace period. */
  async destroy(): Promise<void> {
    await Promise.all(this.pools.map((pool) => pool.destroy()));
  }
}
