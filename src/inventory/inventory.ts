// The background inventory behind the key gauges on /metrics: every INVENTORY_REFRESH_S it reads
// the keys each configured credential can see, through the same service and sessions as requests
// (so the same pools, breaker, timeouts, shared lists and risk rules), and shows counts per risk
// and expiry times as Prometheus gauges. Configured credentials only: it never sees a request.
import { expiresAtOf, nameOf, type ApiKeyRecord, type ApiKeyRisk, type Policy, type Provider } from '../domain.js';
import type { Logger } from '../logger.js';
import type { InventoryView, Metrics } from '../metrics.js';
import { ApiKeyService, type ListInput, type SourceFailure } from '../services/api-keys.js';
import { UpstreamError } from '../upstream/errors.js';
import { RequestLoaders } from '../upstream/loaders.js';
import type { AccountRuntime, Upstreams } from '../upstream/upstreams.js';
import { labelText } from './labels.js';

/** Calls `tick` every `everyMs`; returns what stops it. */
export type Scheduler = (tick: () => void, everyMs: number) => () => void;

/** A real interval that never keeps the process alive on its own. */
export const backgroundInterval: Scheduler = (tick, everyMs) => {
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return () => clearInterval(timer);
};

export interface InventoryOptions {
  upstreams: Upstreams;
  metrics: Metrics;
  logger: Logger;
  policy: Policy;
  /** Octopus page size and the per-list bound, as for requests. */
  lists: { octopusPageSize: number; maxKeys: number };
  refreshMs: number;
  maxExpirySeries: number;
  scheduler?: Scheduler;
  /** Epoch milliseconds, for the last-success times. */
  clock?: () => number;
}

/** apiKeys' largest page. */
const PAGE = 500;
/**
 * A refresh reads whole lists, whose length MAX_LIST_KEYS already bounds; a request's call budget
 * (MAX_UPSTREAM_CALLS) is for clients, not for this.
 */
const CALL_BUDGET = 1_000_000;
const SOONEST_EXPIRY = { field: 'EXPIRES_AT', direction: 'ASC' } as const;

interface ExpiringKey {
  provider: Provider;
  account: string;
  keyId: string;
  name: string;
  expiresAtMs: number;
}

/** What the inventory last knew of one account. A failed refresh leaves it as it was. */
interface AccountState {
  runtime: AccountRuntime;
  lastSuccessMs: number;
  counts?: Map<ApiKeyRisk | 'ALL', number>;
  /** The account's soonest-expiring keys, at most maxExpirySeries. */
  expiring: ExpiringKey[];
  /** How many of its keys expire (some may be beyond `expiring`). */
  expiringTotal: number;
  /** The Octopus user behind the credential, once known: later refreshes skip `GET /users/me`. */
  octopusUserId?: string;
}

export class Inventory {
  private readonly states: AccountState[];
  private readonly credentials: string[];
  private readonly clock: () => number;
  private running?: Promise<void>;
  private stop?: () => void;
  private closed = false;

  constructor(private readonly options: InventoryOptions) {
    this.clock = options.clock ?? Date.now;
    // Only accounts the gateway holds a credential for: a forwarded credential never reaches here.
    this.states = options.upstreams.accounts
      .filter((runtime) => runtime.config.apiKey || runtime.config.accessToken)
      .map((runtime) => ({ runtime, lastSuccessMs: 0, expiring: [], expiringTotal: 0 }));
    this.credentials = options.upstreams.accounts.flatMap((r) => [r.config.apiKey, r.config.accessToken]).filter((c): c is string => !!c);
    this.show();
  }

  /** The accounts it reads, as `provider/name`. */
  get accounts(): string[] {
    return this.states.map((s) => `${s.runtime.account.provider.toLowerCase()}/${s.runtime.account.name}`);
  }

  /** Refreshes now, then every refreshMs. */
  start(): void {
    if (this.closed || this.stop) return;
    this.stop = (this.options.scheduler ?? backgroundInterval)(() => void this.refresh(), this.options.refreshMs);
    void this.refresh();
  }

  /**
   * Reads every account once and updates the gauges. A refresh already under way is joined, not
   * repeated, so refreshes never overlap. Never rejects: a failing account is logged and keeps its
   * last values.
   */
  refresh(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.running ??= this.refreshAll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Stops the schedule and waits for a refresh under way (gateway shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    this.stop?.();
    await this.running;
  }

  private async refreshAll(): Promise<void> {
    try {
      // One request's worth of loaders per refresh: nothing read by an earlier refresh is reused,
      // except through the shared list cache (LIST_CACHE_TTL_MS) that requests use too.
      const loaders = new RequestLoaders(this.options.upstreams, {}, {
        maxUpstreamCalls: CALL_BUDGET,
        pageSize: this.options.lists.octopusPageSize,
        maxKeys: this.options.lists.maxKeys,
      });
      const service = new ApiKeyService(loaders, this.options.policy);
      // Shown as each account is read: a slow or hanging account (up to the upstream timeout) must not
      // hold back, or blank at start-up, the gauges of the accounts already read.
      await Promise.all(
        this.states.map(async (state) => {
          await this.refreshAccount(service, state);
          this.show();
        }),
      );
    } catch (error) {
      // A timer calls this: a rejection here would be unhandled, and end the process.
      this.options.logger.error({ err: { name: (error as Error)?.name, message: (error as Error)?.message } }, 'inventory: refresh failed');
    }
  }

  private async refreshAccount(service: ApiKeyService, state: AccountState): Promise<void> {
    const { provider, name } = state.runtime.account;
    try {
      const failures: SourceFailure[] = [];
      const report = (failure: SourceFailure) => failures.push(failure);
      const input: ListInput = {
        first: Math.min(PAGE, this.options.maxExpirySeries),
        // Keys that never expire sort last: the first pages hold the soonest-expiring keys.
        orderBy: SOONEST_EXPIRY,
        filter: { providers: [provider], accounts: [name], octopusUserId: state.octopusUserId },
      };
      let page = await service.list(input, report);
      // The summary counts the same whole list the page came from: no further upstream call.
      const summary = failures.length === 0 ? await page.summary(report) : undefined;
      if (!summary || failures.length > 0) throw failures[0]!.error;

      const expiring: ExpiringKey[] = [];
      for (;;) {
        for (const { node } of page.edges) {
          const expires = expiresAtOf(node);
          if (!expires || expiring.length >= this.options.maxExpirySeries) break;
          expiring.push(this.expiringKey(node, expires));
        }
        const last = page.edges.at(-1)?.node;
        if (!page.pageInfo.hasNextPage || !last || !expiresAtOf(last) || expiring.length >= this.options.maxExpirySeries) break;
        page = await service.list({ ...input, after: page.pageInfo.endCursor }, report);
      }

      // Known already (the list asked for it): later refreshes go straight to the list.
      if (provider === 'OCTOPUS') state.octopusUserId ??= (await service.currentOctopusUser(state.runtime)).id;
      // Every risk, zeros included (summarize lists them all), so an alert on a count resolves at 0.
      const counts = new Map<ApiKeyRisk | 'ALL', number>([['ALL', summary.totalCount]]);
      for (const { risk, count } of summary.byRisk) counts.set(risk, count);
      state.counts = counts;
      state.expiring = expiring;
      // A key without an expiry is exactly a NEVER_EXPIRES key (domain.ts, risksOf).
      state.expiringTotal = summary.totalCount - (counts.get('NEVER_EXPIRES') ?? 0);
      state.lastSuccessMs = this.clock();
    } catch (error) {
      const known = error instanceof UpstreamError;
      this.options.logger.warn(
        {
          provider,
          account: name,
          code: known ? error.code : undefined,
          // An UpstreamError's message is written to be shown (no URL, header or credential).
          err: { name: (error as Error)?.name, message: (error as Error)?.message },
        },
        `inventory: could not read the keys of ${provider.toLowerCase()}/${name}; its gauges keep their last values`,
      );
    }
  }

  private expiringKey(key: ApiKeyRecord, expires: Date): ExpiringKey {
    return {
      provider: key.provider,
      account: key.account,
      keyId: labelText(key.id),
      name: labelText(nameOf(key), this.credentials),
      expiresAtMs: expires.getTime(),
    };
  }

  /** Every account's last known state as gauges; the expiry series bounded across accounts. */
  private show(): void {
    const max = this.options.maxExpirySeries;
    const expiring = this.states
      .flatMap((s) => s.expiring)
      .sort((a, b) => a.expiresAtMs - b.expiresAtMs || compare(a.provider, b.provider) || compare(a.account, b.account) || compare(a.keyId, b.keyId))
      .slice(0, max);
    const total = this.states.reduce((sum, s) => sum + s.expiringTotal, 0);
    const view: InventoryView = {
      accounts: this.states.map((s) => ({
        provider: s.runtime.account.provider,
        account: s.runtime.account.name,
        lastSuccessSeconds: s.lastSuccessMs / 1000,
        counts: s.counts,
      })),
      expiring: expiring.map(({ expiresAtMs, ...key }) => ({ ...key, expiresAtSeconds: expiresAtMs / 1000 })),
      omittedExpirySeries: total - expiring.length,
    };
    this.options.metrics.showInventory(view);
    if (view.omittedExpirySeries > 0) {
      this.options.logger.debug({ shown: expiring.length, omitted: view.omittedExpirySeries }, 'inventory: expiry series bounded by INVENTORY_MAX_EXPIRY_SERIES');
    }
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
