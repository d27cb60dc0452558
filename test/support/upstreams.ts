// Builds the gateway's upstream layer against simulators on loopback, as the gateway would.
import type { Config } from '../../src/config.js';
import type { HyperstackSimulator, OctopusSimulator } from '../../src/simulators/index.js';
import { createUpstreams, type Upstreams } from '../../src/upstream/upstreams.js';

export type UpstreamSettings = Config['upstream'];

/** Test defaults: the documented timeout (tests about timeouts move a fake clock), breaker off unless a test is about it. */
export const TEST_UPSTREAM: UpstreamSettings = {
  timeoutMs: 10_000, // the documented default: only a test about timeouts (on a fake clock) sees one fire
  retries: 2,
  connections: 8,
  breakerThreshold: 0,
  breakerHalfOpenAfterMs: 1_000,
};

export function testUpstreams(
  sims: { octopus?: OctopusSimulator; hyperstack?: HyperstackSimulator },
  overrides: Partial<UpstreamSettings> & { octopusUserTtlMs?: number } = {},
): Upstreams {
  const { octopusUserTtlMs = 60_000, ...upstream } = overrides;
  return createUpstreams({
    octopus: sims.octopus ? { baseUrl: `${sims.octopus.url}/api`, apiKey: Object.values(sims.octopus.credentials)[0] } : undefined,
    // Port 9 (discard) on loopback: nothing listens, so an unexpected call fails fast.
    hyperstack: sims.hyperstack
      ? { baseUrl: sims.hyperstack.url, apiKey: sims.hyperstack.credentials[0] }
      : { baseUrl: 'http://127.0.0.1:9/v1' },
    upstream: { ...TEST_UPSTREAM, ...upstream },
    octopusUserTtlMs,
  });
}
