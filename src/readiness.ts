import type { Provider } from './domain.js';
import type { Store, StoreHealth } from './store/index.js';
import { UpstreamError } from './upstream/errors.js';
import { HyperstackClient } from './upstream/hyperstack.js';
import { whoOf } from './upstream/loaders.js';
import { OctopusClient } from './upstream/octopus.js';
import type { AccountRuntime, Upstreams } from './upstream/upstreams.js';

/** What a readiness probe found about one account's configured credential. */
export type CredentialState = 'ok' | 'rejected' | 'unreachable' | 'none';

export interface Readiness {
  ready: boolean;
  /** The store answers (audit trail, rotations); absent without one. */
  store?: StoreHealth;
  /** Whether each provider's servers answer HTTP at all. */
  upstreams: Partial<Record<Provider, boolean>>;
  /** Whether each account's configured credential is accepted. */
  accounts: { provider: Provider; account: string; credential: CredentialState }[];
}

/**
 * `/readyz`'s answer: every upstream answers HTTP, no configured credential is refused, and the
 * store answers. The checks are remembered (for `httpEveryMs` and `credentialsEveryMs`), so
 * orchestrator probes cost at most one call per account per interval, however often they come. The credential check is an
 * authenticated read: Octopus `/users/me` (remembered per credential like any other), Hyperstack
 * the key list (it has no cheaper authenticated call).
 */
export class ReadinessProbe {
  private http?: { at: number; result: Promise<Readiness['upstreams']> };
  private credentials?: { at: number; result: Promise<Readiness['accounts']> };
  private storeHealth?: { at: number; result: Promise<StoreHealth> };

  constructor(
    private readonly upstreams: Upstreams,
    private readonly intervals: { httpEveryMs: number; credentialsEveryMs: number },
    private readonly store?: Store,
  ) {}

  async check(now = performance.now()): Promise<Readiness> {
    if (!this.http || now - this.http.at > this.intervals.httpEveryMs) this.http = { at: now, result: this.probeHttp() };
    if (!this.credentials || now - this.credentials.at > this.intervals.credentialsEveryMs) {
      this.credentials = { at: now, result: this.checkCredentials() };
    }
    if (this.store && (!this.storeHealth || now - this.storeHealth.at > this.intervals.httpEveryMs)) {
      this.storeHealth = { at: now, result: this.store.ping() };
    }
    const [upstreams, accounts, store] = await Promise.all([this.http.result, this.credentials.result, this.storeHealth?.result]);
    const ready = Object.values(upstreams).every(Boolean) && accounts.every((a) => a.credential !== 'rejected') && (store?.ok ?? true);
    return { ready, ...(store ? { store } : {}), upstreams, accounts };
  }

  private async probeHttp(): Promise<Readiness['upstreams']> {
    const entries = await Promise.all(this.upstreams.httpPools.map(async (u) => [u.provider, await u.probe()] as const));
    // One provider with several servers is up only if all of them are.
    const byProvider: Readiness['upstreams'] = {};
    for (const [provider, up] of entries) byProvider[provider] = (byProvider[provider] ?? true) && up;
    return byProvider;
  }

  private checkCredentials(): Promise<Readiness['accounts']> {
    return Promise.all(
      this.upstreams.accounts.map(async (runtime) => ({
        provider: runtime.account.provider,
        account: runtime.account.name,
        credential: await this.checkCredential(runtime),
      })),
    );
  }

  private async checkCredential(runtime: AccountRuntime): Promise<CredentialState> {
    const { provider, name } = runtime.account;
    const { apiKey, accessToken } = runtime.config;
    if (!apiKey && !accessToken) return 'none';
    try {
      if (provider === 'OCTOPUS') {
        const client = new OctopusClient(runtime.http, name, apiKey!);
        await this.upstreams.users.get(whoOf(this.upstreams, runtime, apiKey), () => client.currentUser());
      } else {
        await new HyperstackClient(runtime.http, name, { apiKey, accessToken }).listKeys();
      }
      return 'ok';
    } catch (error) {
      const refused = error instanceof UpstreamError && (error.code === 'UNAUTHENTICATED' || error.code === 'FORBIDDEN');
      return refused ? 'rejected' : 'unreachable';
    }
  }
}
