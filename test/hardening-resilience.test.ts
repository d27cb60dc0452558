import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createGateway } from '../src/gateway.js';
import { startTestGateway } from './support/gateway.js';
import { answer, startRawProvider } from './support/raw-provider.js';

const LIST = 'query { apiKeys { unavailableProviders nodes { provider } } }';
type ListData = { apiKeys: { unavailableProviders: string[]; nodes: { provider: string }[] } };

describe('circuit breaker per provider', () => {
  it('opens after repeated failures, answers UPSTREAM_UNAVAILABLE without calling, and closes again after a good probe', async () => {
    const t = await startTestGateway({ upstream: { breakerThreshold: 3, breakerHalfOpenAfterMs: 200, retries: 0 } });
    try {
      t.hyperstack.fault('GET /v1/api-key', { mode: 'error' });
      for (let i = 0; i < 3; i++) {
        const failing = await t.query<ListData>(LIST);
        expect(failing.body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', provider: 'HYPERSTACK' });
      }
      t.resetCounts();
      const open = await t.query<ListData>(LIST);
      expect(open.body.errors?.[0]).toMatchObject({
        message: expect.stringMatching(/not calling it/),
        extensions: { code: 'UPSTREAM_UNAVAILABLE', provider: 'HYPERSTACK' },
      });
      expect(open.body.data!.apiKeys.nodes.some((k) => k.provider === 'OCTOPUS')).toBe(true); // the other provider is unaffected
      expect(t.hyperstack.requests('GET /v1/api-key')).toBe(0);
      const metrics = await (await t.gateway.yoga.fetch('http://keygate.test/metrics')).text();
      expect(metrics).toMatch(/keygate_upstream_circuit_state\{provider="HYPERSTACK"\} 1/);

      // After the reset time one probe goes through; it succeeds and the circuit closes.
      t.hyperstack.clearFaults();
      await vi.waitFor(
        async () => {
          const recovered = await t.query<ListData>(LIST);
          expect(recovered.body.errors).toBeUndefined();
        },
        { timeout: 5_000, interval: 50 },
      );
      const closed = await (await t.gateway.yoga.fetch('http://keygate.test/metrics')).text();
      expect(closed).toMatch(/keygate_upstream_circuit_state\{provider="HYPERSTACK"\} 0/);
    } finally {
      await t.close();
    }
  });

  it('does not count refusals of a request (4xx) as the provider failing', async () => {
    const t = await startTestGateway({ upstream: { breakerThreshold: 2, breakerHalfOpenAfterMs: 60_000 } });
    try {
      for (let i = 0; i < 4; i++) {
        await t.query('mutation { generateHyperstackApiKey(input: { name: "training-cluster-dup" }) { secret } }');
        await t.query('mutation { generateHyperstackApiKey(input: { name: "training-cluster-dup" }) { secret } }'); // 409
      }
      const response = await t.query<ListData>(LIST);
      expect(response.body.errors).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});

describe('concurrency cap per upstream pool', () => {
  it('never has more requests in flight to a provider than its pool has connections; the rest wait for a free one', async () => {
    let inFlight = 0;
    let most = 0;
    const provider = await startRawProvider(({ res }) => {
      most = Math.max(most, ++inFlight);
      res.on('finish', () => inFlight--);
    });
    onTestFinished(() => provider.close());
    const gateway = createGateway(
      loadConfig({ DEMO: '0', LOG_LEVEL: 'silent', ALLOWED_HOSTS: 'keygate.test', HYPERSTACK_URL: provider.url, HYPERSTACK_API_KEY: 'hs-key', UPSTREAM_CONNECTIONS: '2', UPSTREAM_RETRIES: '0' }),
    );
    onTestFinished(() => gateway.close());
    const pending = Array.from({ length: 6 }, async () => {
      const response = await gateway.yoga.fetch('http://keygate.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'query { apiKeys(filter: { providers: [HYPERSTACK] }) { totalCount } }' }),
      });
      return (await response.json()) as { data?: { apiKeys: { totalCount: number } }; errors?: unknown };
    });
    // Two arrive; then each answer frees the connection the next one was waiting for.
    const [first, second] = await Promise.all([provider.request(1), provider.request(2)]);
    answer(first.res, 200, { api_keys: [] });
    answer(second.res, 200, { api_keys: [] });
    for (let n = 3; n <= 6; n++) answer((await provider.request(n)).res, 200, { api_keys: [] });
    const results = await Promise.all(pending);
    expect(results.map((r) => r.errors ?? r.data?.apiKeys.totalCount)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(most).toBe(2);
  });
});
