import { describe, expect, it, vi } from 'vitest';
import { startTestGateway } from './support/gateway.js';

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
  it('never has more requests in flight to a provider than its pool has connections', async () => {
    const t = await startTestGateway({ upstream: { connections: 2, timeoutMs: 400, retries: 0 } });
    try {
      t.hyperstack.fault('GET /v1/api-key', { mode: 'hang' });
      const pending = Array.from({ length: 6 }, () =>
        t.query<ListData>('query { apiKeys(filter: { providers: [HYPERSTACK] }) { totalCount } }'),
      );
      await vi.waitFor(() => expect(t.hyperstack.requests('GET /v1/api-key')).toBe(2));
      const results = await Promise.all(pending);
      // The two in flight time out; the four queued behind them are cut by the same deadline
      // before a connection frees up, so the provider never saw more than two.
      expect(t.hyperstack.requests('GET /v1/api-key')).toBe(2);
      for (const result of results) expect(result.body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_TIMEOUT');
    } finally {
      await t.close();
    }
  });
});
