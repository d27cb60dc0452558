// The bad day: floods while a provider hangs, shutdown under load, and credentials interleaved.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHyperstackSimulator, startOctopusSimulator } from '../src/simulators/index.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { listen, type Listening } from './support/listen.js';
import { startGatewayProcess, upstreamEnv } from './support/process.js';
import { OCTOPUS_ADMIN_SECRET, OCTOPUS_DEV_SECRET, hyperstackUsers, octopusUsers } from './support/seeds.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGc = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

type ListData = { apiKeys: { unavailableProviders: string[]; nodes: { provider: string; name: string }[] } };
const LIST = JSON.stringify({ query: '{ apiKeys(first: 500) { unavailableProviders nodes { provider name } } }' });

describe('1,000 concurrent requests while one provider hangs', () => {
  let t: TestGateway;
  let server: Listening;
  let agent = new Agent({ connections: 1_000, pipelining: 1 });

  beforeAll(async () => {
    t = await startTestGateway({
      octopus: { users: octopusUsers() },
      hyperstack: { users: hyperstackUsers() },
      upstream: { timeoutMs: 1_000, breakerThreshold: 5 },
    });
    server = await listen(t.gateway);
  });
  afterAll(async () => {
    await agent.close();
    await server.close();
    await t.close();
  });

  const post = (body = LIST) =>
    fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      dispatcher: agent,
    } as RequestInit);

  it('no crash, the other provider\'s keys still flow, every failure is coded, memory returns near its baseline', async () => {
    await post(); // warm: schema, pools, the current Octopus user
    const baseline = heapAfterGc();
    t.hyperstack.fault('GET /v1/api-key', { mode: 'hang' });

    // Only a summary leaves this scope, so what is measured afterwards is the gateway's memory.
    const flood = async () => {
      const responses = await Promise.all(Array.from({ length: 1_000 }, () => post()));
      const bodies = await Promise.all(
        responses.map((r) => r.json() as Promise<{ data: ListData; errors?: { extensions: { code: string; provider: string } }[] }>),
      );
      expect(responses.every((r) => r.status === 200)).toBe(true);
      for (const body of bodies) {
        expect(body.data.apiKeys.nodes.filter((k) => k.provider === 'OCTOPUS').map((k) => k.name)).toHaveLength(3);
        expect(body.data.apiKeys.unavailableProviders).toEqual(['HYPERSTACK']);
        expect(body.errors?.[0]?.extensions.provider).toBe('HYPERSTACK');
        // SERVICE_UNAVAILABLE: waited for a connection to the hung provider and was never sent.
        expect(['UPSTREAM_TIMEOUT', 'UPSTREAM_UNAVAILABLE', 'SERVICE_UNAVAILABLE']).toContain(body.errors?.[0]?.extensions.code);
      }
      return bodies.filter((b) => b.errors?.[0]?.extensions.code === 'UPSTREAM_UNAVAILABLE').length;
    };
    const fastFailures = await flood();
    // The pool caps what is in flight and the breaker, once open, answers without calling: the
    // hanging provider sees a fraction of the flood, and some answers came fast from the breaker.
    expect(t.hyperstack.requests('GET /v1/api-key')).toBeLessThan(500);
    expect(fastFailures).toBeGreaterThan(0);
    await agent.close(); // the client's 1,000 keep-alive sockets are not the gateway's memory
    server.closeIdle();
    t.hyperstack.clearFaults();
    agent = new Agent({ connections: 10 });
    const after = heapAfterGc();
    console.info(
      `1,000 requests while Hyperstack hung: ${t.hyperstack.requests('GET /v1/api-key')} reached it, ${fastFailures} answered by the open breaker, heap ${((after - baseline) / 1048576).toFixed(1)} MB above baseline after GC`,
    );
    expect(after - baseline).toBeLessThan(30 * 1024 * 1024);

    // And it keeps serving: once the breaker lets a probe through, both providers are back.
    await vi.waitFor(
      async () => {
        const body = (await (await post()).json()) as { data: ListData; errors?: unknown };
        expect(body.errors).toBeUndefined();
      },
      { timeout: 15_000, interval: 100 },
    );
  });
});

describe('two credentials interleaved under load', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ octopus: { users: octopusUsers() }, hyperstack: { users: hyperstackUsers() } });
  });
  afterAll(() => t.close());

  it('every response carries only its own credential\'s keys', async () => {
    const who = [
      { octopus: OCTOPUS_ADMIN_SECRET, hyperstack: t.hyperstack.credentials[0]!, expected: ['Admin CLI', 'Deploy pipeline', 'Tie breaker', 'gateway', 'tie', 'training'] },
      { octopus: OCTOPUS_DEV_SECRET, hyperstack: t.hyperstack.credentials[1]!, expected: ['Dev laptop', 'bob-only', 'dev key 0', 'dev key 1'] },
    ];
    const results = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const as = who[i % 2]!;
        const response = await t.query<ListData>('{ apiKeys(first: 500) { unavailableProviders nodes { provider name } } }', undefined, {
          'X-Octopus-ApiKey': as.octopus,
          'X-Hyperstack-Api-Key': as.hyperstack,
        });
        return { expected: as.expected, got: response.body.data!.apiKeys.nodes.map((k) => k.name).sort() };
      }),
    );
    for (const { expected, got } of results) expect(got).toEqual(expected);
  });
});

describe('SIGTERM under load', () => {
  it('stops accepting, completes every in-flight request, exits 0', async () => {
    const [octopus, hyperstack] = await Promise.all([startOctopusSimulator(), startHyperstackSimulator()]);
    const gateway = await startGatewayProcess({
      ...upstreamEnv(octopus, hyperstack),
      LOG_LEVEL: 'warn',
      // 40 requests that each reach the provider: identical lists would otherwise share one flight.
      UPSTREAM_DEDUPE: '0',
    });
    const agent = new Agent({ connections: 100 });
    try {
      octopus.setLatency(300);
      const inFlight = Array.from({ length: 40 }, () =>
        fetch(`${gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: LIST, dispatcher: agent } as RequestInit),
      );
      await vi.waitFor(() => expect(octopus.requests('GET /api/users/{userId}/apikeys')).toBe(40), { timeout: 10_000 });
      gateway.child.kill('SIGTERM');
      const responses = await Promise.all(inFlight);
      expect(responses.map((r) => r.status)).toEqual(Array(40).fill(200));
      const bodies = (await Promise.all(responses.map((r) => r.json()))) as { data: ListData; errors?: unknown }[];
      for (const body of bodies) {
        expect(body.errors).toBeUndefined();
        expect(body.data.apiKeys.unavailableProviders).toEqual([]);
      }
      expect(await gateway.exited).toBe(0);
    } finally {
      gateway.child.kill('SIGKILL');
      await agent.close();
      await Promise.all([octopus.close(), hyperstack.close()]);
    }
  });
});

describe('SIGTERM with a read still waiting to retry', () => {
  it('cuts what is left at the end of the grace period and still exits 0', async () => {
    const [octopus, hyperstack] = await Promise.all([startOctopusSimulator(), startHyperstackSimulator()]);
    const gateway = await startGatewayProcess({
      ...upstreamEnv(octopus, hyperstack),
      // The grace period must cover a whole upstream attempt (twice the timeout); a read waiting
      // out a Retry-After of 3 s outlasts it, so only the grace period can end this.
      UPSTREAM_TIMEOUT_MS: '150',
      SHUTDOWN_GRACE_MS: '300',
      LOG_LEVEL: 'warn',
    });
    try {
      hyperstack.fault('GET /v1/api-key', { mode: 'rate-limit', retryAfterSeconds: 3 });
      const stuck = fetch(`${gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: LIST }).then(
        (r) => r.status,
        () => 'cut',
      );
      await vi.waitFor(() => expect(hyperstack.requests('GET /v1/api-key')).toBe(1));
      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).toBe(0);
      expect(await stuck).toBe('cut');
    } finally {
      gateway.child.kill('SIGKILL');
      await Promise.all([octopus.close(), hyperstack.close()]);
    }
  });
});
