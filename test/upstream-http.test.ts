import { setTimeout as sleep } from 'node:timers/promises';
import { beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { startOctopusSimulator, type OctopusSimulator } from '../src/simulators/index.js';
import { UpstreamHttp, parseRetryAfter, type UpstreamCall } from '../src/upstream/http.js';
import { OctopusClient, describeOctopusError } from '../src/upstream/octopus.js';
import { fakeClock, watch } from './support/clock.js';
import { failure } from './support/failure.js';

// Each test its own simulator; pools are closed when their test finishes.
let sim: OctopusSimulator;
beforeEach(async () => {
  const started = await startOctopusSimulator();
  sim = started;
  onTestFinished(() => started.close());
});

function http(options: Partial<ConstructorParameters<typeof UpstreamHttp>[0]> = {}, target = sim) {
  const pool = new UpstreamHttp({
    provider: 'OCTOPUS',
    baseUrl: `${target.url}/api`,
    timeoutMs: 10_000,
    retryBaseDelayMs: 1,
    breakerThreshold: 0,
    describeError: describeOctopusError,
    ...options,
  });
  onTestFinished(() => pool.destroy());
  return pool;
}

const me = (pool: UpstreamHttp, credential = Object.values(sim.credentials)[0]!) =>
  new OctopusClient(pool, credential).currentUser();

describe('UpstreamHttp', () => {
  it('cuts a hanging upstream at the timeout with UPSTREAM_TIMEOUT, without retrying it', async () => {
    fakeClock();
    const held = sim.hold('GET /api/users/me');
    const pending = watch(failure(me(http({ timeoutMs: 300 }))));
    await held.arrived;
    vi.advanceTimersByTime(299);
    await sleep(20); // real time for the client to give up early, if it would
    expect(pending.settled).toBe(false);
    vi.advanceTimersByTime(1);
    held.release(); // a retry, if one were made, would now be answered
    await vi.advanceTimersByTimeAsync(100); // and any backoff before it has passed
    const error = await pending.promise;
    expect(error).toMatchObject({ code: 'UPSTREAM_TIMEOUT', provider: 'OCTOPUS' });
    expect(error.message).toContain('300 ms');
    expect(sim.requests('GET /api/users/me')).toBe(1);
  });

  it('counts the time a request waits for a connection toward its timeout', async () => {
    fakeClock();
    const pool = http({ connections: 1, timeoutMs: 300, retries: 0 });
    const held = sim.hold('GET /api/users/me');
    // Three at once through one connection: the first is held, two wait in the pool's queue.
    const calls = [me(pool), me(pool), me(pool)].map((call) => watch(failure(call)));
    await held.arrived;
    vi.advanceTimersByTime(300);
    held.release(); // too late: all three have given up
    for (const error of await Promise.all(calls.map((c) => c.promise))) expect(error.code).toBe('UPSTREAM_TIMEOUT');
    expect(sim.requests('GET /api/users/me')).toBe(1); // the queued two were never sent
  });

  it('retries a read on dropped connections a bounded number of times', async () => {
    sim.fault('GET /api/users/me', { mode: 'drop' });
    const error = await failure(me(http({ retries: 2 })));
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(sim.requests('GET /api/users/me')).toBe(3);
  });

  it('retries a 429 without Retry-After with backoff, and succeeds', async () => {
    sim.fault('GET /api/users/me', { mode: 'rate-limit' }, { times: 2 });
    expect(await me(http({ retries: 2 }))).toMatchObject({ id: expect.any(String) });
    expect(sim.requests('GET /api/users/me')).toBe(3);
  });

  it('reports a refused connection as UPSTREAM_UNAVAILABLE', async () => {
    const gone = await startOctopusSimulator();
    await gone.close();
    const error = await failure(me(http({ retries: 1 }, gone)));
    expect(error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', provider: 'OCTOPUS' });
    expect(error.message).not.toContain(gone.url);
  });

  it('refuses a response larger than the cap', async () => {
    const error = await failure(
      new OctopusClient(http({ maxResponseBytes: 200 }), Object.values(sim.credentials)[0]!).listKeys('Users-1'),
    );
    expect(error.code).toBe('UPSTREAM_ERROR');
  });

  it('reports every attempt to the observer with the route template and no credential', async () => {
    const calls: UpstreamCall[] = [];
    sim.fault('GET /api/users/me', { mode: 'rate-limit', retryAfterSeconds: 0 }, { times: 1 });
    await me(http({ observer: (call) => calls.push(call) }));
    expect(calls).toEqual([
      expect.objectContaining({ provider: 'OCTOPUS', method: 'GET', route: '/users/me', status: 429, code: 'RATE_LIMITED', attempt: 1 }),
      expect.objectContaining({ provider: 'OCTOPUS', method: 'GET', route: '/users/me', status: 200, attempt: 2 }),
    ]);
    expect(JSON.stringify(calls)).not.toContain(Object.values(sim.credentials)[0]);
  });

  it('follows only links that stay below its own base URL', () => {
    const pool = http();
    expect(pool.pathBelowBase('/api/users/Users-1/apikeys?skip=30&take=30')).toBe('/users/Users-1/apikeys?skip=30&take=30');
    expect(pool.pathBelowBase(`${sim.url}/api/users/Users-1/apikeys?skip=1`)).toBe('/users/Users-1/apikeys?skip=1');
    expect(pool.pathBelowBase('https://evil.example/api/users/Users-1/apikeys')).toBeUndefined();
    expect(pool.pathBelowBase('//evil.example/api/x')).toBeUndefined();
    expect(pool.pathBelowBase('/other/api/x')).toBeUndefined();
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('7')).toBe(7);
    expect(parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 30)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(30);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
