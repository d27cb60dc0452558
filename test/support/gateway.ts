// A gateway wired to fresh simulators on loopback, queried through yoga's fetch (the full HTTP
// handling, without a port) while the gateway itself talks real HTTP to the simulators.
import { loadConfig, type AccountConfig, type Config } from '../../src/config.js';
import { DEFAULT_ACCOUNT } from '../../src/domain.js';
import { openStore, type Store } from '../../src/store/index.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import {
  startHyperstackSimulator,
  startOctopusSimulator,
  type HyperstackSimulator,
  type HyperstackSimulatorOptions,
  type OctopusSimulator,
  type OctopusSimulatorOptions,
} from '../../src/simulators/index.js';
import { TEST_UPSTREAM } from './upstreams.js';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: { data?: T | null; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[] };
}

export interface TestGateway extends AsyncDisposable {
  gateway: Gateway;
  octopus: OctopusSimulator;
  hyperstack: HyperstackSimulator;
  config: Config;
  /** POSTs a GraphQL operation to /graphql. */
  query<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  /** Every log line written so far (only with `captureLogs`). */
  logs(): string[];
  /** Total upstream requests so far, per simulator route. */
  counts(): Record<string, number>;
  resetCounts(): void;
  /**
   * Upstream attempts the gateway has finished (answered, refused or failed), per its own metrics.
   * Counted once the attempt is over on the gateway's side, not when a simulator answers: a test
   * that fakes the clock waits for this before moving it, so only the requests it holds time out.
   */
  finishedCalls(provider?: 'OCTOPUS' | 'HYPERSTACK'): Promise<number>;
  close(): Promise<void>;
  /** close(), for `await using t = await startTestGateway()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

export interface TestGatewayOptions {
  octopus?: OctopusSimulatorOptions;
  hyperstack?: HyperstackSimulatorOptions;
  /** Which configured credentials the gateway holds (default: both). */
  credentials?: { octopus?: boolean; hyperstack?: boolean };
  /** Start without Octopus configured at all. */
  noOctopus?: boolean;
  /** The store the gateway audits to and keeps rotations in (default: a fresh in-memory SQLite, closed with the gateway). */
  store?: Store;
  /** Run the store's loops (the revocation scheduler, audit retries); default off: tests drive them. */
  storeLoops?: boolean;
  /** The store's time: when events happen and rotations fall due. */
  storeClock?: () => Date;
  /** Start without Hyperstack configured at all. */
  noHyperstack?: boolean;
  /** More accounts beside the two `default` ones (other simulators, other credentials of these). */
  accounts?: AccountConfig[] | ((sims: { octopus: OctopusSimulator; hyperstack: HyperstackSimulator }) => AccountConfig[]);
  env?: Record<string, string>;
  upstream?: Partial<Config['upstream']>;
  /** Log at info level into memory, readable through `logs()`. */
  captureLogs?: boolean;
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const [octopus, hyperstack] = await Promise.all([
    startOctopusSimulator(options.octopus),
    startHyperstackSimulator(options.hyperstack),
  ]);
  // The background inventory would add upstream calls at unknown moments: on only where a test asks.
  // keygate.test: the host tests fetch through yoga (loopback names are allowed on the listening port anyway).
  const base = loadConfig({ DEMO: '0', LOG_LEVEL: 'silent', INVENTORY_REFRESH_S: '0', ALLOWED_HOSTS: 'keygate.test', ...options.env });
  const config: Config = {
    ...base,
    accounts: [
      ...(options.noOctopus
        ? []
        : [
            {
              name: DEFAULT_ACCOUNT,
              provider: 'OCTOPUS' as const,
              baseUrl: `${octopus.url}/api`,
              apiKey: options.credentials?.octopus === false ? undefined : firstCredential(octopus),
            },
          ]),
      ...(options.noHyperstack
        ? []
        : [
            {
              name: DEFAULT_ACCOUNT,
              provider: 'HYPERSTACK' as const,
              baseUrl: hyperstack.url,
              apiKey: options.credentials?.hyperstack === false ? undefined : hyperstack.credentials[0],
            },
          ]),
      // Accounts of a KEYGATE_CONFIG file in `env`, as the gateway would read them.
      ...base.accounts.filter((a) => a.name !== DEFAULT_ACCOUNT),
      ...(typeof options.accounts === 'function' ? options.accounts({ octopus, hyperstack }) : (options.accounts ?? [])),
    ],
    upstream: { ...base.upstream, ...TEST_UPSTREAM, ...options.upstream },
    // Each request reads afresh, and counts its own calls, unless a test is about sharing across requests.
    lists: {
      ...base.lists,
      cacheTtlMs: options.env?.LIST_CACHE_TTL_MS ? base.lists.cacheTtlMs : 0,
      dedupe: options.env?.UPSTREAM_DEDUPE ? base.lists.dedupe : false,
    },
  };
  const lines: string[] = [];
  const logger = options.captureLogs ? createLogger({ logLevel: 'debug' }, { write: (line: string) => lines.push(line) }) : undefined;
  // A store of its own (in memory unless a test brings one), so every mutation is audited as in production.
  const store = options.store ?? (await openStore({ url: 'sqlite::memory:' }));
  const gateway = createGateway(config, { logger, store, storeLoops: options.storeLoops ?? false, storeClock: options.storeClock });
  // Only the routes that were called, so tests can compare the whole record with toEqual.
  const called = (sim: OctopusSimulator | HyperstackSimulator) => Object.fromEntries(Object.entries(sim.counts()).filter(([, n]) => n !== 0));

  const close = async () => {
    await gateway.close();
    if (!options.store) await store.close();
    await Promise.all([octopus.close(), hyperstack.close()]);
  };

  return {
    gateway,
    octopus,
    hyperstack,
    config,
    query(query, variables, headers) {
      const answer = (async () => {
        const response = await gateway.yoga.fetch('http://keygate.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
          body: JSON.stringify({ query, variables }),
        });
        const body = (await response.json()) as GraphQLResponse<never>['body'];
        return { status: response.status, headers: response.headers, body };
      })();
      // Owned by the test gateway: a query still running when a failed test closes the gateway may
      // reject later; that is not reported as unhandled (a test that awaits it still sees it).
      answer.catch(() => {});
      return answer;
    },
    logs: () => lines,
    counts: () => ({
      ...called(octopus),
      ...called(hyperstack),
    }),
    resetCounts() {
      octopus.resetCounts();
      hyperstack.resetCounts();
    },
    async finishedCalls(provider) {
      const metric = await gateway.metrics.registry.getSingleMetric('keygate_upstream_requests_total')?.get();
      return (metric?.values ?? []).filter((v) => provider === undefined || v.labels.provider === provider).reduce((n, v) => n + v.value, 0);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The admin user's credential in the demo seed (Users-1), or the first user's. */
export function firstCredential(octopus: OctopusSimulator): string {
  return octopus.credentials['Users-1'] ?? Object.values(octopus.credentials)[0]!;
}
