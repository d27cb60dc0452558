// The bad day: floods while a provider hangs, shutdown under load, and credentials interleaved.
// Nothing here races a clock: a hanging provider is a held request, its timeout fires when the test
// moves a fake clock, and a shutdown is signalled while requests are known to be in flight.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it, vi } from 'vitest';
import { startHyperstackSimulator, startOctopusSimulator } from '../src/simulators/index.js';
import { testClient } from './support/client.js';
import { fakeClock, until, watch } from './support/clock.js';
import { startTestGateway } from './support/gateway.js';
import { listen } from './support/listen.js';
import { refusesConnections, startGatewayProcess, upstreamEnv } from './support/process.js';
import { OCTOPUS_ADMIN_SECRET, OCTOPUS_DEV_SECRET, hyperstackUsers, octopusUsers } from './support/seeds.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGc = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

type ListData = { apiKeys: { unavailableProviders: string[]; nodes: { provider: string; name: string }[] } };
interface ListBody {
  data: ListData;
  errors?: { extensions: { code: string; provider: string } }[];
}
const LIST = '{ apiKeys(first: 500) { unavailableProviders nodes { provider name } } }';
const HYPERSTACK_LIST = 'GET /v1/api-key';
const OCTOPUS_LIST = 'GET /api/users/{userId}/apikeys';

describe('1,000 concurrent requests while one provider hangs', () => {
  // 1,200 requests through one process (client, gateway and simulators): on a busy 2-core machine
  // that can take minutes. The bound is generous; nothing in the test waits on a clock.
  const BOUND_MS = 300_000;
  it('no crash, the other provider\'s keys still flow, every failure is coded, memory returns near its baseline', { timeout: BOUND_MS }, async () => {
    // Time is what this test is about (the upstream timeout, the breaker's reset), so it is fake.
    fakeClock({ date: true });
    const connections = 8;
    const upstream = { timeoutMs: 1_000, breakerThreshold: 5, breakerHalfOpenAfterMs: 10_000, connections };
    await using t = await startTestGateway({ octopus: { users: octopusUsers() }, hyperstack: { users: hyperstackUsers() }, upstream });
    await using server = await listen(t.gateway);
    // A client per burst: while timers are fake, undici cannot retire an idle keep-alive connection
    // before the server times it out, so no connection is reused after a long wait.
    const burst = async (n: number): Promise<ListBody[]> => {
      await using client = testClient(server.url, { connections: n });
      return await Promise.all(Array.from({ length: n }, async () => (await (await client.graphql(LIST)).json()) as ListBody));
    };

    await burst(1); // warm: schema, pools, the current Octopus user
    t.resetCounts();
    const baseline = heapAfterGc();
    const held = t.hyperstack.hold(HYPERSTACK_LIST);

    /** Checks every answer and returns the error codes; only this summary leaves the scope, so what is measured afterwards is the gateway's memory. */
    const check = (bodies: ListBody[]) => {
      for (const body of bodies) {
        expect(body.data.apiKeys.nodes.filter((k) => k.provider === 'OCTOPUS').map((k) => k.name)).toHaveLength(3);
        expect(body.data.apiKeys.unavailableProviders).toEqual(['HYPERSTACK']);
        expect(body.errors).toHaveLength(1);
        expect(body.errors?.[0]?.extensions.provider).toBe('HYPERSTACK');
      }
      return bodies.map((body) => body.errors?.[0]?.extensions.code);
    };

    // The flood: every request lists Octopus (answered) and Hyperstack (held). The pool lets
    // `connections` requests reach Hyperstack; the rest queue behind them.
    const octopusBefore = await t.finishedCalls('OCTOPUS');
    const flood = watch(burst(1_000));
    await held.arrivals(connections);
    await until(async () => (await t.finishedCalls('OCTOPUS')) === octopusBefore + 1_000, 'every Octopus list call to finish', BOUND_MS);
    // The upstream timeout passes: the held calls time out at the provider, the queued ones give up
    // waiting for a connection (SERVICE_UNAVAILABLE: never sent).
    vi.advanceTimersByTime(1_000);
    const codes = check(await flood.promise);
    expect(codes.filter((code) => code === 'UPSTREAM_TIMEOUT')).toHaveLength(connections);
    expect(new Set(codes)).toEqual(new Set(['UPSTREAM_TIMEOUT', 'SERVICE_UNAVAILABLE']));
    expect(t.hyperstack.requests(HYPERSTACK_LIST)).toBe(connections); // the pool capped what reached it

    // The breaker is open now: a second wave is answered at once without calling Hyperstack.
    const opened = check(await burst(200));
    expect(new Set(opened)).toEqual(new Set(['UPSTREAM_UNAVAILABLE']));
    expect(t.hyperstack.requests(HYPERSTACK_LIST)).toBe(connections);

    server.closeIdle(); // the clients' keep-alive sockets are not the gateway's memory
    held.release();
    const after = heapAfterGc();
    console.info(
      `1,200 requests while Hyperstack hung: ${t.hyperstack.requests(HYPERSTACK_LIST)} reached it, ${opened.length} answered by the open breaker, heap ${((after - baseline) / 1048576).toFixed(1)} MB above baseline after GC`,
    );
    expect(after - baseline).toBeLessThan(30 * 1024 * 1024);

    // And it keeps serving: once the reset time has passed, a probe goes through and both are back.
    vi.advanceTimersByTime(10_000);
    const [recovered] = await burst(1);
    expect(recovered!.errors).toBeUndefined();
    expect(recovered!.data.apiKeys.unavailableProviders).toEqual([]);
  });
});

describe('two credentials interleaved under load', () => {
  it('every response carries only its own credential\'s keys', async () => {
    // 300 requests at once through 8 connections per provider: no upstream deadline may cut the
    // last of them on a busy machine, so the timeout is far beyond what the test could take.
    await using t = await startTestGateway({
      octopus: { users: octopusUsers() },
      hyperstack: { users: hyperstackUsers() },
      upstream: { timeoutMs: 600_000 },
    });
    const who = [
      { octopus: OCTOPUS_ADMIN_SECRET, hyperstack: t.hyperstack.credentials[0]!, expected: ['Admin CLI', 'Deploy pipeline', 'Tie breaker', 'gateway', 'tie', 'training'] },
      { octopus: OCTOPUS_DEV_SECRET, hyperstack: t.hyperstack.credentials[1]!, expected: ['Dev laptop', 'bob-only', 'dev key 0', 'dev key 1'] },
    ];
    const results = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const as = who[i % 2]!;
        const response = await t.query<ListData>(LIST, undefined, {
          'X-Octopus-ApiKey': as.octopus,
          'X-Hyperstack-Api-Key': as.hyperstack,
        });
        expect(response.body.errors).toBeUndefined();
        return { expected: as.expected, got: response.body.data!.apiKeys.nodes.map((k) => k.name).sort() };
      }),
    );
    for (const { expected, got } of results) expect(got).toEqual(expected);
  });
});

describe('SIGTERM under load', () => {
  it('stops accepting, completes every in-flight request, exits 0', async () => {
    await using octopus = await startOctopusSimulator();
    await using hyperstack = await startHyperstackSimulator();
    await using gateway = await startGatewayProcess({
      ...upstreamEnv(octopus, hyperstack),
      LOG_LEVEL: 'warn',
      // 40 requests that each reach the provider: identical lists would otherwise share one flight.
      UPSTREAM_DEDUPE: '0',
      UPSTREAM_CONNECTIONS: '64', // room for all 40 at once
      SHUTDOWN_GRACE_MS: '600000', // the requests finish when released, not when a clock runs out
      UPSTREAM_TIMEOUT_MS: '120000', // nor does the hold race the upstream timeout on a busy machine
    });
    await using client = testClient(gateway.url, { connections: 100 });
    const held = octopus.hold(OCTOPUS_LIST);
    const inFlight = Array.from({ length: 40 }, () => client.graphql(LIST));
    await held.arrivals(40);

    gateway.child.kill('SIGTERM');
    await until(() => refusesConnections(gateway.url), 'the gateway to stop accepting connections');
    expect(held.waiting).toBe(40); // all still in flight
    held.release();

    const responses = await Promise.all(inFlight);
    expect(responses.map((r) => r.status)).toEqual(Array(40).fill(200));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as { data: ListData; errors?: unknown }[];
    for (const body of bodies) {
      expect(body.errors).toBeUndefined();
      expect(body.data.apiKeys.unavailableProviders).toEqual([]);
    }
    expect(await gateway.exited).toBe(0);
  });
});

describe('a second SIGTERM', () => {
  it('cuts what is left at once instead of waiting out the grace period, and exits 0', async () => {
    await using octopus = await startOctopusSimulator();
    await using hyperstack = await startHyperstackSimulator();
    await using gateway = await startGatewayProcess({
      ...upstreamEnv(octopus, hyperstack),
      // Only the second signal can end this before the test's own timeout.
      SHUTDOWN_GRACE_MS: '600000',
      UPSTREAM_TIMEOUT_MS: '300000',
      LOG_LEVEL: 'info', // for the line that says the first signal was handled
    });
    await using client = testClient(gateway.url);
    const held = octopus.hold(OCTOPUS_LIST);
    try {
      const stuck = client.graphql(LIST).then(
        (r) => r.status,
        () => 'cut',
      );
      await held.arrivals(1);
      gateway.child.kill('SIGTERM');
      // A second signal sent while the first is still pending would merge with it (signals do not
      // queue): wait until the gateway says it handled the first.
      await gateway.waitForOutput(/no longer accepting connections/);
      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).toBe(0);
      expect(await stuck).toBe('cut');
    } finally {
      held.release(); // before the simulator closes, also when an expectation fails
    }
  });
});

describe('SIGTERM with a read still waiting to retry', () => {
  it('cuts what is left at the end of the grace period and still exits 0', async () => {
    await using octopus = await startOctopusSimulator();
    await using hyperstack = await startHyperstackSimulator();
    await using gateway = await startGatewayProcess({
      ...upstreamEnv(octopus, hyperstack),
      // The grace period must cover a whole upstream attempt (twice the timeout), so a request held
      // at the provider would time out first; a read waiting out a Retry-After of 5 s outlasts the
      // grace period, so only the grace period can end this. The timeout is long enough that a
      // starved child still reads the 429 before its attempt times out (a timeout is not retried).
      UPSTREAM_TIMEOUT_MS: '2000',
      SHUTDOWN_GRACE_MS: '4000',
      LOG_LEVEL: 'warn',
    });
    await using client = testClient(gateway.url);
    hyperstack.fault(HYPERSTACK_LIST, { mode: 'rate-limit', retryAfterSeconds: 5 });
    const stuck = client.graphql(LIST).then(
      (r) => r.status,
      () => 'cut',
    );
    await until(() => hyperstack.requests(HYPERSTACK_LIST) === 1, 'the first Hyperstack attempt');
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
    expect(await stuck).toBe('cut');
  });
});
