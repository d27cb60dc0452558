import { describe, expect, it, vi } from 'vitest';
import { fakeClock } from './support/clock.js';
import { startTestGateway } from './support/gateway.js';

const LIST = 'query { apiKeys { unavailableProviders nodes { provider } } }';
type ListData = { apiKeys: { unavailableProviders: string[]; nodes: { provider: string }[] } };

describe('circuit breaker per provider', () => {
  it('opens after repeated failures, answers UPSTREAM_UNAVAILABLE without calling, and closes again after a good probe', async () => {
    // The reset time is the subject: the breaker reads Date, which only the test moves.
    fakeClock({ date: true });
    const resetMs = 10_000;
    await using t = await startTestGateway({ upstream: { breakerThreshold: 3, breakerHalfOpenAfterMs: resetMs, retries: 0 } });
    const state = async () =>
      /keygate_upstream_circuit_state\{provider="HYPERSTACK"\} (\d)/.exec(await (await t.gateway.yoga.fetch('http://keygate.test/metrics')).text())?.[1];

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
    expect(await state()).toBe('1');

    // Healthy again, but the reset time has not passed: still open, still not called.
    t.hyperstack.clearFaults();
    vi.advanceTimersByTime(resetMs - 1);
    expect((await t.query<ListData>(LIST)).body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(t.hyperstack.requests('GET /v1/api-key')).toBe(0);

    // Once it has, one probe goes through; it succeeds and the circuit closes.
    vi.advanceTimersByTime(1);
    const recovered = await t.query<ListData>(LIST);
    expect(recovered.body.errors).toBeUndefined();
    expect(t.hyperstack.requests('GET /v1/api-key')).toBe(1);
    expect(await state()).toBe('0');
  });

  it('does not count refusals of a request (4xx) as the provider failing', async () => {
    await using t = await startTestGateway({ upstream: { breakerThreshold: 2, breakerHalfOpenAfterMs: 60_000 } });
    for (let i = 0; i < 4; i++) {
      await t.query('mutation { generateHyperstackApiKey(input: { name: "training-cluster-dup" }) { secret } }');
      await t.query('mutation { generateHyperstackApiKey(input: { name: "training-cluster-dup" }) { secret } }'); // 409
    }
    const response = await t.query<ListData>(LIST);
    expect(response.body.errors).toBeUndefined();
  });
});

describe('concurrency cap per upstream pool', () => {
  it('never has more requests in flight to a provider than its pool has connections', async () => {
    await using t = await startTestGateway({ upstream: { connections: 2, retries: 0 } });
    const held = t.hyperstack.hold('GET /v1/api-key');
    const pending = Array.from({ length: 6 }, () => t.query<ListData>('query { apiKeys(filter: { providers: [HYPERSTACK] }) { totalCount } }'));
    await held.arrivals(2);
    // A request to the other provider, started after the six, makes a full round trip: the six
    // have long been handed to the Hyperstack pool, and only two of them got a connection.
    expect((await t.query('query { apiKeys(filter: { providers: [OCTOPUS] }) { totalCount } }')).body.errors).toBeUndefined();
    expect(held.waiting).toBe(2);
    expect(t.hyperstack.requests('GET /v1/api-key')).toBe(2);

    // Released, the queued four go through as connections free up: none is lost.
    held.release();
    for (const result of await Promise.all(pending)) expect(result.body.errors).toBeUndefined();
    expect(t.hyperstack.requests('GET /v1/api-key')).toBe(6);
  });
});
