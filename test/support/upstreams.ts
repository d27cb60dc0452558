// Builds the gateway's upstream layer against simulators on loopback, as the gateway would.
import type { Config } from '../../src/config.js';
import { DEFAULT_ACCOUNT } from '../../src/domain.js';
import type { HyperstackSimulator, OctopusSimulator } from '../../src/simulators/index.js';
import type { UpstreamHttp } from '../../src/upstream/http.js';
import { Upstreams } from '../../src/upstream/upstreams.js';

export type UpstreamSettings = Omit<Config['upstream'], 'maxResponseBytes'> & { maxResponseBytes?: number };

/** Test defaults: the documented timeout (tests about timeouts move a fake clock), breaker off unless a test is about it. */
export const TEST_UPSTREAM: UpstreamSettings = {
  timeoutMs: 10_000, // the documented default: only a test about timeouts (on a fake clock) sees one fire
  retries: 2,
  connections: 8,
  breakerThreshold: 0,
  breakerHalfOpenAfterMs: 1_000,
};

export const TEST_LISTS: Config['lists'] = {
  cacheTtlMs: 0,
  dedupe: true,
  octopusPageSize: 1_000,
  heavyConcurrency: 4,
  heavyWaitMs: 2_000,
  maxKeys: 250_000,
};

export interface TestUpstreams {
  upstreams: Upstreams;
  /** The pool of the `default` Octopus account, when there is one. */
  octopus?: UpstreamHttp;
  hyperstack: UpstreamHttp;
  close(): Promise<void>;
}

export function testUpstreams(
  sims: { octopus?: OctopusSimulator; hyperstack?: HyperstackSimulator },
  overrides: Partial<UpstreamSettings> & { octopusUserTtlMs?: number } = {},
): TestUpstreams {
  const { octopusUserTtlMs = 60_000, ...upstream } = overrides;
  const upstreams = new Upstreams({
    accounts: [
      ...(sims.octopus
        ? [{ name: DEFAULT_ACCOUNT, provider: 'OCTOPUS' as const, baseUrl: `${sims.octopus.url}/api`, apiKey: Object.values(sims.octopus.credentials)[0] }]
        : []),
      // Port 9 (discard) on loopback: nothing listens, so an unexpected call fails fast.
      sims.hyperstack
        ? { name: DEFAULT_ACCOUNT, provider: 'HYPERSTACK' as const, baseUrl: sims.hyperstack.url, apiKey: sims.hyperstack.credentials[0] }
        : { name: DEFAULT_ACCOUNT, provider: 'HYPERSTACK' as const, baseUrl: 'http://127.0.0.1:9/v1' },
    ],
    upstream: { maxResponseBytes: 8 * 1024 * 1024, ...TEST_UPSTREAM, ...upstream },
    octopusUserTtlMs,
    lists: TEST_LISTS,
  });
  return {
    upstreams,
    octopus: upstreams.find('OCTOPUS', DEFAULT_ACCOUNT)?.http,
    hyperstack: upstreams.find('HYPERSTACK', DEFAULT_ACCOUNT)!.http,
    close: () => upstreams.close(),
  };
}
