import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { startOctopusSimulator, type OctopusSimulator } from '../src/simulators/index.js';
import { UpstreamHttp, parseRetryAfter, type UpstreamCall } from '../src/upstream/http.js';
import { describeHyperstackError } from '../src/upstream/hyperstack.js';
import { OctopusClient, describeOctopusError } from '../src/upstream/octopus.js';
import { fakeClock, until, watch } from './support/clock.js';
import { failure } from './support/failure.js';
import { answer, startRawProvider, type RawProvider, type RawRequest } from './support/raw-provider.js';

// Each test its own simulator; pools are closed when their test finishes.
let sim: OctopusSimulator;
beforeEach(async () => {
  const started = await startOctopusSimulator();
  sim = started;
  onTestFinished(() => started.close());
});

function http(options: Partial<ConstructorParameters<typeof UpstreamHttp>[0]> = {}, target: { url: string } = sim) {
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
  new OctopusClient(pool, 'default', credential).currentUser();

/** Resolves once undici has the next response's headers (its diagnostics channel): time may move on from there. */
const headersArrive = () =>
  new Promise<void>((resolve) => {
    const arrived = () => {
      unsubscribe('undici:request:headers', arrived);
      setImmediate(resolve); // after the request's own continuation, which runs on the same turn
    };
    subscribe('undici:request:headers', arrived);
  });

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

  it('cuts a body that stops halfway at the timeout too: the timeout is for the whole answer, not its headers', async () => {
    fakeClock();
    const provider = await startRawProvider();
    onTestFinished(() => provider.close());
    const pending = watch(failure(me(http({ timeoutMs: 300, retries: 0 }, provider))));
    const { res } = await provider.request(1);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"Id": "Users-1", '); // and nothing more
    vi.advanceTimersByTime(299);
    await sleep(20);
    expect(pending.settled).toBe(false);
    vi.advanceTimersByTime(1);
    expect(await pending.promise).toMatchObject({ code: 'UPSTREAM_TIMEOUT', provider: 'OCTOPUS' });
  });

  it('a read whose body stops after a 503 is a timeout, not retried as a 503 (nor a 404 read as no such key)', async () => {
    fakeClock();
    const provider = await startRawProvider();
    onTestFinished(() => provider.close());
    const pending = watch(failure(http({ timeoutMs: 300, retries: 2 }, provider).request({ method: 'GET', route: '/x', path: '/x', headers: {}, retry: true })));
    const { res } = await provider.request(1);
    const headers = headersArrive();
    res.writeHead(503, { 'content-type': 'application/json' });
    res.write('{"ErrorMessage": ');
    await headers;
    vi.advanceTimersByTime(300);
    await vi.advanceTimersByTimeAsync(50); // any backoff before a retry
    await until(() => pending.settled || provider.requests.length > 1, 'the error, or a retry');
    expect(provider.requests).toHaveLength(1);
    expect(await pending.promise).toMatchObject({ code: 'UPSTREAM_TIMEOUT', status: undefined });
  });

  describe('a create the provider answered 201, whose body is slow', () => {
    const create = (pool: UpstreamHttp) =>
      new OctopusClient(pool, 'default', 'API-TESTCREDENTIAL').createKey({ userId: 'Users-1', purpose: 'slow body', expires: undefined });
    const created = JSON.stringify({ Id: 'apikeys-slow', Purpose: 'slow body', UserId: 'Users-1', ApiKey: 'API-SECRETOFTHESLOWBODY000000', Created: '2026-12-01T00:00:00.000+00:00', Expires: null });
    /** The same answer with an id of another shape: keygate must look the key up. */
    const unreadable = created.replace('"apikeys-slow"', '5');
    /** The lookup's answer: that key as the list shows it, made just now (the lookup wants a key made since the create). */
    const listing = () => ({
      Items: [{ Id: 'apikeys-slow', Purpose: 'slow body', UserId: 'Users-1', ApiKey: { HasValue: true, Hint: 'API-SECR' }, Created: new Date().toISOString(), Expires: null }],
      TotalResults: 1,
    });

    it('gets the time the wait for a connection left of twice the timeout: the secret is not thrown away at the timeout', async () => {
      fakeClock();
      const provider = await startRawProvider();
      onTestFinished(() => provider.close());
      const pending = watch(create(http({ timeoutMs: 300 }, provider)));
      const { res } = await provider.request(1);
      const headers = headersArrive();
      res.writeHead(201, { 'content-type': 'application/json' });
      res.write(created.slice(0, 20));
      await headers;
      vi.advanceTimersByTime(450); // past the timeout, well within twice it
      await sleep(20);
      expect(pending.settled).toBe(false);
      res.end(created.slice(20));
      expect(await pending.promise).toMatchObject({ secret: 'API-SECRETOFTHESLOWBODY000000', apiKey: { id: 'apikeys-slow' } });
    });

    it('is cut at twice the timeout, and the error says the provider answered, with its status', async () => {
      fakeClock({ performance: true }); // the deadline counts from when the request began to wait
      const provider = await startRawProvider();
      onTestFinished(() => provider.close());
      const pending = watch(failure(create(http({ timeoutMs: 300 }, provider))));
      const { res } = await provider.request(1);
      const headers = headersArrive();
      res.writeHead(201, { 'content-type': 'application/json' });
      res.write(created.slice(0, 20));
      await headers;
      vi.advanceTimersByTime(590);
      await sleep(20);
      expect(pending.settled).toBe(false);
      vi.advanceTimersByTime(10);
      expect(await pending.promise).toMatchObject({ code: 'UPSTREAM_TIMEOUT', status: 201, mayHaveReachedProvider: true, message: 'Octopus Deploy answered 201, but the rest of its answer did not arrive in time.' });
    });

    it('looks up a key whose id it cannot read only within that same time, which the shutdown grace period covers', async () => {
      fakeClock({ performance: true });
      const provider = await startRawProvider();
      onTestFinished(() => provider.close());
      const pending = watch(failure(create(http({ timeoutMs: 300 }, provider))));
      const { res } = await provider.request(1);
      const headers = headersArrive();
      res.writeHead(201, { 'content-type': 'application/json' });
      res.write(unreadable.slice(0, 20));
      await headers;
      vi.advanceTimersByTime(450);
      res.end(unreadable.slice(20));
      const lookup = await provider.request(2); // the newest keys of that purpose; held
      expect(lookup.url).toContain('partialPurpose=slow%20body');
      vi.advanceTimersByTime(149); // its own timeout would end it at 750 ms
      await sleep(20);
      expect(pending.settled).toBe(false);
      vi.advanceTimersByTime(1); // twice the timeout since the create began to wait
      expect(await pending.promise).toMatchObject({ message: expect.stringContaining('Id'), mayHaveReachedProvider: true });
      expect(provider.requests).toHaveLength(2); // not retried
    });

    it('looks up a key whose id it cannot read even after other calls opened the circuit: their failures do not throw its secret away', async () => {
      const provider = await startRawProvider();
      onTestFinished(() => provider.close());
      const pool = http({ breakerThreshold: 1, breakerHalfOpenAfterMs: 600_000, retries: 0 }, provider);
      const pending = watch(create(pool));
      const post = await provider.request(1); // held while a read fails
      const read = failure(me(pool, 'API-TESTCREDENTIAL'));
      answer((await provider.request(2)).res, 503, {});
      expect(await read).toMatchObject({ code: 'UPSTREAM_ERROR', status: 503 });
      // The circuit is open: the next read is refused without reaching the provider.
      expect((await failure(me(pool, 'API-TESTCREDENTIAL'))).message).toContain('has been failing');
      expect(provider.requests).toHaveLength(2);
      answer(post.res, 201, unreadable);
      await until(() => provider.requests.length > 2 || pending.settled, "the lookup, or the create's end");
      expect(provider.requests).toHaveLength(3); // the lookup was sent, not refused by the open circuit
      const lookup = await provider.request(3);
      expect(lookup.url).toContain('partialPurpose=slow%20body');
      answer(lookup.res, 200, listing());
      expect(await pending.promise).toMatchObject({ secret: 'API-SECRETOFTHESLOWBODY000000', apiKey: { id: 'apikeys-slow' } });
    });

    it('retries a lookup the provider answered 503: a refusal then does not throw the secret away', async () => {
      const provider = await startRawProvider();
      onTestFinished(() => provider.close());
      const pending = watch(create(http({ retries: 2 }, provider)));
      answer((await provider.request(1)).res, 201, unreadable);
      answer((await provider.request(2)).res, 503, {});
      const again = await provider.request(3);
      expect(again.url).toContain('partialPurpose=slow%20body');
      answer(again.res, 200, listing());
      expect(await pending.promise).toMatchObject({ secret: 'API-SECRETOFTHESLOWBODY000000', apiKey: { id: 'apikeys-slow' } });
    });

    // The create's time is twice the timeout, 3 s here, and the clock stands still unless moved.
    it("retries a lookup whose wait takes at most half the create's time left", async () => {
      fakeClock({ performance: true });
      const provider = await startRawProvider();
      onTestFinished(() => provider.close());
      const calls: UpstreamCall[] = [];
      const pending = watch(create(http({ timeoutMs: 1_500, retries: 2, observer: (call) => calls.push(call) }, provider)));
      answer((await provider.request(1)).res, 201, unreadable);
      answer((await provider.request(2)).res, 429, {}, { 'retry-after': '1' });
      await until(() => calls.length === 2, "the lookup's 429");
      await new Promise(setImmediate); // the retry policy sets its wait in the microtasks after
      expect(provider.requests).toHaveLength(2); // waiting, with nothing sent
      vi.advanceTimersByTime(1_000);
      const again = await provider.request(3);
      answer(again.res, 200, listing());
      expect(await pending.promise).toMatchObject({ secret: 'API-SECRETOFTHESLOWBODY000000', apiKey: { id: 'apikeys-slow' } });
    });

    it("does not retry a lookup whose wait would take more than half the create's time left", async () => {
      fakeClock({ performance: true }); // a wait for a retry would hold the create until the test moved time on
      const provider = await startRawProvider();
      onTestFinished(() => provider.close());
      const pending = watch(failure(create(http({ timeoutMs: 1_500, retries: 2 }, provider))));
      answer((await provider.request(1)).res, 201, unreadable);
      answer((await provider.request(2)).res, 429, {}, { 'retry-after': '2' }); // fits the 3 s, not half of them
      await until(() => pending.settled, 'the create to end, without waiting to retry its lookup');
      expect(await pending.promise).toMatchObject({ mayHaveReachedProvider: true, message: expect.stringContaining('(at Id)') });
      expect(provider.requests).toHaveLength(2);
    });

    it('gives the lookup the next free connection, ahead of reads queued before it', async () => {
      const provider = await startRawProvider();
      onTestFinished(() => provider.close());
      const pool = http({ connections: 1, retries: 0 }, provider);
      const pending = watch(create(pool));
      const post = await provider.request(1); // holds the only connection
      const reads = [watch(me(pool, 'API-TESTCREDENTIAL')), watch(me(pool, 'API-TESTCREDENTIAL'))];
      await until(() => pool.queued === 2, 'both reads to queue');
      answer(post.res, 201, unreadable); // a lookup follows
      const first = await provider.request(2); // the first read took the connection the create gave back
      expect(first.url).toBe('/api/users/me');
      await until(() => pool.queued === 2, 'the lookup to queue behind the second read');
      answer(first.res, 200, { Id: 'Users-1', Username: 'one', DisplayName: 'One' });
      const next = await provider.request(3);
      expect(next.url).toContain('partialPurpose=slow%20body'); // not the second read
      answer(next.res, 200, listing());
      expect(await pending.promise).toMatchObject({ secret: 'API-SECRETOFTHESLOWBODY000000', apiKey: { id: 'apikeys-slow' } });
      answer((await provider.request(4)).res, 200, { Id: 'Users-1', Username: 'one', DisplayName: 'One' });
      await Promise.all(reads.map((read) => read.promise));
    });
  });

  it('bounds the wait for a connection too: a request never sent is SERVICE_UNAVAILABLE, not the provider\'s timeout', async () => {
    fakeClock();
    const pool = http({ connections: 1, timeoutMs: 300, retries: 0 });
    const held = sim.hold('GET /api/users/me');
    // Three at once through one connection: the first is held, two wait in the pool's queue.
    const calls = [me(pool), me(pool), me(pool)].map((call) => watch(failure(call)));
    await held.arrived;
    vi.advanceTimersByTime(300);
    held.release(); // too late: all three have given up
    const codes = (await Promise.all(calls.map((c) => c.promise))).map((error) => error.code);
    // The provider had the first one; the other two waited for a connection that never came free.
    expect(codes).toEqual(['UPSTREAM_TIMEOUT', 'SERVICE_UNAVAILABLE', 'SERVICE_UNAVAILABLE']);
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
      new OctopusClient(http({ maxResponseBytes: 200 }), 'default', Object.values(sim.credentials)[0]!).listKeys('Users-1', { skip: 0, take: 30 }),
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

  it("reads a JSON body that starts with a byte-order mark: a create's answer holds the only copy of its secret", async () => {
    const secret = 'API-BOMSECRET0000000000000000';
    const provider = await startRawProvider(({ res }) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(`\uFEFF${JSON.stringify({ Id: 'apikeys-x', UserId: 'Users-1', Purpose: 'p', ApiKey: secret, Created: new Date().toISOString(), Expires: null })}`);
    });
    onTestFinished(() => provider.close());
    const created = await new OctopusClient(http({}, provider), 'default', 'API-CREDENTIAL000000000000000').createKey({ userId: 'Users-1', purpose: 'p', expires: undefined });
    expect(created).toMatchObject({ secret });
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

describe('what a provider error shows a client', () => {
  const CREDENTIAL = 'API-GATEWAYSOWNCREDENTIAL0000000';
  const raw = async (respond: (request: RawRequest) => void) => {
    const provider = await startRawProvider(respond);
    onTestFinished(() => provider.close());
    return provider;
  };
  const client = (provider: RawProvider, options: Partial<ConstructorParameters<typeof UpstreamHttp>[0]> = {}) =>
    http({ baseUrl: `${provider.url}/api`, retries: 0, ...options });
  const post = (pool: UpstreamHttp, redact?: string[]) =>
    failure(pool.request({ method: 'POST', route: '/x', path: '/x', headers: { 'X-Octopus-ApiKey': CREDENTIAL }, body: {}, retry: false, redact }));

  it('a 5xx body never: stack traces, passwords and our own credential stay out of the message', async () => {
    const body = {
      ErrorMessage: `NullReferenceException at Octopus.Server.Web.Api.ApiKeys (C:\\Octopus\\Server.dll) for ${CREDENTIAL}`,
      FullException: 'System.NullReferenceException\n   at Octopus.Server.Orchestration ... line 42',
      Details: { password: 'db-password-123', connectionString: 'Server=sql;Password=db-password-123' },
    };
    const provider = await raw(({ res }) => answer(res, 500, body));
    const error = await post(client(provider));
    expect(error).toMatchObject({ code: 'UPSTREAM_ERROR', status: 500, message: 'Octopus Deploy failed with HTTP 500.' });
  });

  it('a 4xx shows only the documented fields (Octopus ErrorMessage and Errors[]), shortened to 300 characters', async () => {
    const long = `The purpose is invalid: ${'very '.repeat(100)}long.`;
    const bodies = [
      { ErrorMessage: 'There was a problem with your request.', Errors: ['Purpose is required.'], FullException: 'at Octopus.Core.Validation line 9' },
      { ErrorMessage: long },
    ];
    const provider = await raw(({ res }) => answer(res, 400, bodies.shift()));
    expect((await post(client(provider))).message).toBe('There was a problem with your request. Purpose is required.');
    const shortened = (await post(client(provider))).message;
    expect(shortened).toHaveLength(300);
    expect(shortened).toBe(`${long.slice(0, 299)}…`);
  });

  it('a Hyperstack 4xx shows its message and nothing else', async () => {
    const provider = await raw(({ res }) => answer(res, 409, { status: false, message: 'Name already taken.', error_reason: 'IntegrityError at db.py:88' }));
    const pool = http({ provider: 'HYPERSTACK', baseUrl: provider.url, retries: 0, describeError: describeHyperstackError });
    const error = await failure(pool.request({ method: 'POST', route: '/api-key/generate', path: '/api-key/generate', headers: { api_key: 'hs-key' }, body: {}, retry: false }));
    expect(error).toMatchObject({ code: 'CONFLICT', message: 'Name already taken.' });
  });

  it('a message holding a credential of the request (a header value, or one in `redact`) is never shown, in any case', async () => {
    const messages = [
      `Key ${CREDENTIAL} is not valid for this user.`,
      `Key ${CREDENTIAL.toLowerCase()} is not valid for this user.`,
      'The other credential hs-SECRET-of-the-same-request is suspended.',
    ];
    const provider = await raw(({ res }) => answer(res, 401, { ErrorMessage: messages.shift() }));
    const pool = client(provider);
    for (const redact of [undefined, undefined, ['hs-SECRET-of-the-same-request']]) {
      const error = await post(pool, redact);
      expect(error).toMatchObject({ code: 'UNAUTHENTICATED', message: 'Octopus Deploy refused the request with HTTP 401.' });
    }
  });
});

describe('waiting for a connection is not the provider timing out', () => {
  const get = (pool: UpstreamHttp) => pool.request({ method: 'GET', route: '/x', path: '/x', headers: {}, retry: false });

  it('a request that finds every connection busy is refused with SERVICE_UNAVAILABLE, unsent, and the breaker stays closed', async () => {
    const provider = await startRawProvider();
    onTestFinished(() => provider.close());
    const pool = http({ baseUrl: `${provider.url}/api`, connections: 1, timeoutMs: 10_000, queueTimeoutMs: 100, breakerThreshold: 1, retries: 0 });

    const first = get(pool);
    const held = await provider.request(1); // the only connection is now busy, for as long as the test likes
    const queued = await failure(pool.request({ method: 'POST', route: '/x', path: '/x', headers: {}, body: {}, retry: false }));
    expect(queued).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1, mayHaveReachedProvider: false, status: undefined });
    expect(queued.message).toMatch(/no free connection.*not sent/);
    expect(provider.requests).toHaveLength(1);

    answer(held.res, 200, {});
    await first;
    // Breaker threshold 1: had the wait counted as a failure, this call would be refused without being sent.
    const next = get(pool);
    answer((await provider.request(2)).res, 200, { ok: true });
    expect(await next).toEqual({ status: 200, body: { ok: true } });
  });

  it('a waiting request gets the connection as soon as one is free, and the provider then has its whole timeout', async () => {
    const provider = await startRawProvider();
    onTestFinished(() => provider.close());
    const pool = http({ baseUrl: `${provider.url}/api`, connections: 1, timeoutMs: 10_000, queueTimeoutMs: 10_000, retries: 0 });
    const first = get(pool);
    const second = get(pool);
    answer((await provider.request(1)).res, 200, { n: 1 });
    answer((await provider.request(2)).res, 200, { n: 2 });
    expect([(await first).body, (await second).body]).toEqual([{ n: 1 }, { n: 2 }]);
  });
});

describe('the circuit breaker counts provider failures, not refusals', () => {
  it('400, 404, 405 and 409 answers never open it; 5xx answers do', async () => {
    const statuses = [400, 404, 405, 409, 400, 404, 500, 503];
    const provider = await startRawProvider(({ res }) => answer(res, statuses.shift() ?? 200, { ErrorMessage: 'no' }));
    onTestFinished(() => provider.close());
    const pool = http({ baseUrl: `${provider.url}/api`, breakerThreshold: 2, retries: 0 });
    const get = () => failure(pool.request({ method: 'GET', route: '/x', path: '/x', headers: {}, retry: false }));
    for (let i = 0; i < 6; i++) expect((await get()).status).toBeDefined(); // six refusals, every one sent
    expect(provider.requests).toHaveLength(6);
    await get(); // 500
    await get(); // 503: two failures in a row open the circuit
    const open = await get();
    expect(open).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', status: undefined, mayHaveReachedProvider: false });
    expect(provider.requests).toHaveLength(8);
  });

  it('an answer past the size cap never opens it: one long list must not shut out every other credential', async () => {
    const provider = await startRawProvider(({ res, url }) => answer(res, 200, url.endsWith('/long') ? { Items: 'x'.repeat(500) } : { Items: [] }));
    onTestFinished(() => provider.close());
    const pool = http({ baseUrl: `${provider.url}/api`, breakerThreshold: 2, retries: 0, maxResponseBytes: 200 });
    const get = (path: string) => pool.request({ method: 'GET', route: path, path, headers: {}, retry: false });
    for (let i = 0; i < 4; i++) expect(await failure(get('/long'))).toMatchObject({ code: 'UPSTREAM_ERROR', message: expect.stringContaining('more than 200 bytes') });
    expect((await get('/short')).status).toBe(200);
    expect(provider.requests).toHaveLength(5);
  });

  it('a 5xx with an error page past the size cap still counts as the provider failing', async () => {
    const provider = await startRawProvider(({ res }) => answer(res, 503, { ErrorMessage: 'x'.repeat(500) }));
    onTestFinished(() => provider.close());
    const pool = http({ baseUrl: `${provider.url}/api`, breakerThreshold: 2, retries: 0, maxResponseBytes: 200 });
    const get = () => failure(pool.request({ method: 'GET', route: '/x', path: '/x', headers: {}, retry: false }));
    await get();
    await get(); // two failures in a row open the circuit
    expect(await get()).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', message: expect.stringMatching(/has been failing/) });
    expect(provider.requests).toHaveLength(2);
  });
});

describe('mayHaveReachedProvider: whether a failed write may have taken effect', () => {
  const write = (pool: UpstreamHttp) => failure(pool.request({ method: 'POST', route: '/x', path: '/x', headers: {}, body: {}, retry: false }));

  it('true when the provider had it: a timeout after sending, a connection dropped after sending, any HTTP answer', async () => {
    const provider = await startRawProvider(({ res, url }) => {
      if (url.endsWith('/drop')) res.socket?.destroy();
      if (url.endsWith('/fail')) answer(res, 500, {});
      if (url.endsWith('/refuse')) answer(res, 400, {});
      // anything else is never answered
    });
    onTestFinished(() => provider.close());
    const pool = http({ baseUrl: `${provider.url}/api`, timeoutMs: 10_000, retries: 0 });
    const to = (path: string) => failure(pool.request({ method: 'POST', route: path, path, headers: {}, body: {}, retry: false }));
    fakeClock(); // the hang alone meets the timeout: moved once it is at the provider
    const hang = to('/hang');
    await provider.request(1);
    vi.advanceTimersByTime(10_000);
    expect(await hang).toMatchObject({ code: 'UPSTREAM_TIMEOUT', mayHaveReachedProvider: true });
    vi.useRealTimers();
    expect(await to('/drop')).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', mayHaveReachedProvider: true });
    expect(await to('/fail')).toMatchObject({ code: 'UPSTREAM_ERROR', mayHaveReachedProvider: true });
    expect(await to('/refuse')).toMatchObject({ code: 'BAD_USER_INPUT', mayHaveReachedProvider: true });
  });

  it('false when it certainly never left keygate (connection refused), and for every read', async () => {
    const gone = await startRawProvider();
    await gone.close();
    expect(await write(http({ baseUrl: `${gone.url}/api`, retries: 0 }))).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', mayHaveReachedProvider: false });

    const provider = await startRawProvider(); // never answers
    onTestFinished(() => provider.close());
    const read = await failure(http({ baseUrl: `${provider.url}/api`, timeoutMs: 200, retries: 0 }).request({ method: 'GET', route: '/x', path: '/x', headers: {}, retry: false }));
    expect(read).toMatchObject({ code: 'UPSTREAM_TIMEOUT', mayHaveReachedProvider: false });
  });
});
