import { createHmac, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Config } from '../config.js';
import { UpstreamHttp, type UpstreamHttpOptions } from './http.js';
import type { Provider } from './errors.js';
import { describeHyperstackError } from './hyperstack.js';
import { describeOctopusError, type OctopusUser } from './octopus.js';

/**
 * Remembers which Octopus user a credential belongs to, so `GET /api/users/me` is called once per
 * credential for a while rather than once per request. Keys are HMACs under a per-process secret:
 * the cache never holds a credential (the gateway's own is referenced, to recognise it cheaply).
 */
export class CurrentUserCache {
  private readonly salt = randomBytes(32);
  private readonly cache: LRUCache<string, Promise<OctopusUser>>;
  private readonly enabled: boolean;
  /** Most requests use the gateway's own credential: its key is computed once, at startup. */
  private readonly configuredKey?: string;

  constructor(
    ttlMs: number,
    private readonly configured?: string,
    max = 10_000,
  ) {
    this.cache = new LRUCache({ max, ttl: Math.max(ttlMs, 1) });
    this.enabled = ttlMs > 0;
    if (configured) this.configuredKey = this.hmac(configured);
  }

  /** Concurrent first requests share one lookup; a failed lookup is not remembered. */
  get(credential: string, lookup: () => Promise<OctopusUser>): Promise<OctopusUser> {
    if (!this.enabled) return lookup();
    const key = this.keyFor(credential);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const pending = lookup();
    this.cache.set(key, pending);
    pending.catch(() => {
      if (this.cache.get(key) === pending) this.cache.delete(key);
    });
    return pending;
  }

  private keyFor(credential: string): string {
    return credential === this.configured && this.configuredKey !== undefined ? this.configuredKey : this.hmac(credential);
  }

  private hmac(credential: string): string {
    return createHmac('sha256', this.salt).update(credential).digest('base64');
  }
}

/** The process-wide upstream state: one pool per provider and the user cache. Built once, shared by requests. */
export interface Upstreams {
  /** Absent when Octopus is not configured: the gateway then serves Hyperstack only. */
  octopus?: UpstreamHttp;
  hyperstack: UpstreamHttp;
  octopusUsers: CurrentUserCache;
  /** The credentials the gateway holds; a request's own headers win over them. */
  credentials: { octopus?: string; hyperstack?: string };
}

export type UpstreamHooks = Pick<UpstreamHttpOptions, 'observer' | 'onCircuitStateChange'>;

export function createUpstreams(
  config: Pick<Config, 'octopus' | 'hyperstack' | 'upstream' | 'octopusUserTtlMs'>,
  hooks: (provider: Provider) => UpstreamHooks = () => ({}),
): Upstreams {
  const common = { ...config.upstream };
  return {
    octopus: config.octopus
      ? new UpstreamHttp({
          provider: 'OCTOPUS',
          baseUrl: config.octopus.baseUrl,
          describeError: describeOctopusError,
          ...common,
          ...hooks('OCTOPUS'),
        })
      : undefined,
    hyperstack: new UpstreamHttp({
      provider: 'HYPERSTACK',
      baseUrl: config.hyperstack.baseUrl,
      describeError: describeHyperstackError,
      ...common,
      ...hooks('HYPERSTACK'),
    }),
    octopusUsers: new CurrentUserCache(config.octopusUserTtlMs, config.octopus?.apiKey),
    credentials: { octopus: config.octopus?.apiKey, hyperstack: config.hyperstack.apiKey },
  };
}

/** Closes the pools once their in-flight requests are done. */
export async function closeUpstreams(upstreams: Upstreams): Promise<void> {
  await Promise.all([upstreams.octopus?.close(), upstreams.hyperstack.close()]);
}

/** Closes the pools now, failing whatever is still in flight: for shutdown after the grace period. */
export async function destroyUpstreams(upstreams: Upstreams): Promise<void> {
  await Promise.all([upstreams.octopus?.destroy(), upstreams.hyperstack.destroy()]);
}
