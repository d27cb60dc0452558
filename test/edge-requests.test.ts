// Requests at the edge: what a client gets for bad variables, and what a request leaves in the log.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createGateway } from '../src/gateway.js';
import { createHttpServer, listen } from '../src/server.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { answer, startRawProvider } from './support/raw-provider.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ captureLogs: true });
});
afterAll(() => t.close());

const errorLines = () => t.logs().filter((line) => (JSON.parse(line) as { level: number }).level >= 50);

describe('variables graphql-jit refuses', () => {
  it.each([
    ['a string for an Int', 'query ($first: Int) { apiKeys(first: $first) { totalCount } }', { first: 'abc' }],
    ['an unknown enum value', 'query ($f: ApiKeyFilter) { apiKeys(first: 1, filter: $f) { totalCount } }', { f: { providers: ['NOPE'] } }],
    ['a missing required variable', 'query ($id: ID!) { apiKey(id: $id) { id } }', {}],
    // A mutation's refusal is also audited: its code comes from an error graphql-jit makes without extensions.
    ['a fraction for a mutation\'s Int', 'mutation ($i: RotateApiKeyInput!) { rotateApiKey(input: $i) { secret } }', { i: { id: 'x', revokeOldAfter: 0.5 } }],
    ['a list for a mutation\'s String', 'mutation ($n: String!) { generateHyperstackApiKey(input: { name: $n }) { secret } }', { n: ['a'] }],
  ])('%s is BAD_USER_INPUT with the reason, before any upstream call, and no error is logged', async (_, query, variables) => {
    t.resetCounts();
    const before = errorLines().length;
    const { body } = await t.query(query, variables);
    expect(body.data ?? null).toBeNull();
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]!.extensions?.code).toBe('BAD_USER_INPUT');
    expect(body.errors![0]!.message).toMatch(/^Variable "\$\w+"/);
    expect(t.counts()).toEqual({});
    expect(errorLines().slice(before)).toEqual([]);
  });
});

describe('input refused before any upstream call', () => {
  it.each([
    ['a day that does not exist', 'mutation { createOctopusApiKey(input: { purpose: "x", expiresAt: "2027-02-30T00:00:00Z" }) { secret } }', /not a valid date/],
    ['February 29 of a common year', 'mutation { createOctopusApiKey(input: { purpose: "x", expiresAt: "2027-02-29T10:00:00Z" }) { secret } }', /not a valid date/],
    ['hour 24', '{ apiKeys(first: 1, filter: { expiresBefore: "2027-01-01T24:00:00Z" }) { totalCount } }', /not a valid date/],
    ['an audit bound past the year 9999 in UTC', '{ auditEvents(first: 1, filter: { until: "9999-12-31T23:00:00-05:00" }) { nodes { id } } }', /outside the years 0000 to 9999/],
    ['an audit bound before the year 0000 in UTC', '{ auditEvents(first: 1, filter: { since: "0000-01-01T00:30:00+01:00" }) { nodes { id } } }', /outside the years 0000 to 9999/],
    ['an expiry in the past', 'mutation { createOctopusApiKey(input: { purpose: "x", expiresAt: "2001-01-01T00:00:00Z" }) { secret } }', /must be in the future/],
    ['a NUL in a name', 'mutation { generateHyperstackApiKey(input: { name: "poison\\u0000" }) { secret } }', /control characters/],
    ['a line break in a purpose', 'mutation { createOctopusApiKey(input: { purpose: "two\\nlines" }) { secret } }', /control characters/],
    ['a NUL in a description', 'mutation { generateHyperstackApiKey(input: { name: "n", description: "a\\u0000b" }) { secret } }', /NUL/],
    ['an escape sequence in a description', 'mutation { generateHyperstackApiKey(input: { name: "n", description: "\\u001b[31mred" }) { secret } }', /control characters other than tabs and line breaks/],
    ['a C1 control in a name', 'mutation { generateHyperstackApiKey(input: { name: "next\\u0085line" }) { secret } }', /control characters/],
    ['a right-to-left override in a purpose', 'mutation { createOctopusApiKey(input: { purpose: "deploy\\u202Egpj.exe" }) { secret } }', /bidirectional embeddings or overrides/],
    ['an isolate left open in a name', 'mutation { generateHyperstackApiKey(input: { name: "ci\\u2067" }) { secret } }', /close each bidirectional isolate/],
    ['an isolate closed that was never opened', 'mutation { generateHyperstackApiKey(input: { name: "\\u2069ci" }) { secret } }', /close each bidirectional isolate/],
    ['a name of invisible characters only', 'mutation { generateHyperstackApiKey(input: { name: "\\u200B\\u200B" }) { secret } }', /must not be blank/],
    ['a rotation id that is not one', 'mutation { cancelRotation(id: "x") { state } }', /not the id of a rotation/],
    ['a key\'s id given as a rotation\'s', `mutation { completeRotation(id: "${Buffer.from('ApiKey:OCTOPUS:default:Users-1:apikeys-1').toString('base64')}") { state } }`, /not the id of a rotation/],
    ['one user and every user at once', '{ apiKeys(first: 3, filter: { octopusUsers: ALL, octopusUserId: "Users-1" }) { totalCount } }', /cannot be combined/],
  ])('%s: BAD_USER_INPUT, and no provider is asked', async (_, query, message) => {
    t.resetCounts();
    const { body } = await t.query(query);
    expect(body.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(message), extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
    expect(t.counts()).toEqual({});
  });

  it('takes the text people write: emoji, accents, Arabic or Hebrew with isolated Latin, a search with a tab', async () => {
    await using t = await startTestGateway(); // its own keys: four more at Hyperstack
    for (const name of ['🔑 déploiement', 'مفتاح \u2068ci-prod\u2069', 'מפתח\u200F ci', '👩\u200D💻 pair']) {
      const { body } = await t.query('mutation ($n: String!, $d: String) { generateHyperstackApiKey(input: { name: $n, description: $d }) { secret apiKey { name } } }', {
        n: name,
        d: 'line one\r\n\tline two',
      });
      expect(body.errors, name).toBeUndefined();
    }
    const { body } = await t.query('query ($s: String) { apiKeys(first: 1, filter: { search: $s }) { totalCount } }', { s: 'line one\r\n\tline two' });
    expect(body.errors).toBeUndefined();
  });

  // GraphQL's parser refuses such a string inline; in variables (JSON "\\ud800") it gets this far.
  it.each([
    ['a name', 'mutation ($v: String!) { generateHyperstackApiKey(input: { name: $v }) { secret } }', 'probe \ud800 x'],
    ['a description', 'mutation ($v: String) { generateHyperstackApiKey(input: { name: "n", description: $v }) { secret } }', 'x\udc00'],
    ['a search', 'query ($v: String) { apiKeys(first: 1, filter: { search: $v }) { totalCount } }', '\ud800'],
  ])('half of a surrogate pair in %s: BAD_USER_INPUT, and no provider is asked', async (_, query, value) => {
    t.resetCounts();
    const { body } = await t.query(query, { v: value });
    expect(body.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/surrogate pair/), extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
    expect(t.counts()).toEqual({});
  });

  it.each(['variables', 'extensions'])('a GET whose %s is not JSON: 400 BAD_REQUEST, as for a body that is not JSON, and nothing logged as an error', async (name) => {
    const before = errorLines().length;
    const url = new URL('http://keygate.test/graphql');
    url.searchParams.set('query', '{ viewer { policy { maxKeyAgeDays } } }');
    url.searchParams.set(name, '{bad');
    const response = await t.gateway.yoga.fetch(url, { headers: { 'x-graphql-yoga-csrf': '1', accept: 'application/json' } });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors).toEqual([{ message: `The \`${name}\` parameter of the URL is not valid JSON.`, extensions: { code: 'BAD_REQUEST' } }]);
    expect(errorLines().slice(before)).toEqual([]);
  });

  it.each(['variables', 'extensions'])('a form-encoded POST whose %s is not JSON: 400 BAD_REQUEST naming it, and nothing logged as an error', async (name) => {
    const before = errorLines().length;
    const form = new URLSearchParams({ query: '{ viewer { policy { maxKeyAgeDays } } }', [name]: '{"v":"SECRET-FRAGMENT' });
    const response = await t.gateway.yoga.fetch('http://keygate.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-graphql-yoga-csrf': '1', accept: 'application/json' },
      body: form.toString(),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors).toEqual([{ message: `The \`${name}\` parameter of the form body is not valid JSON.`, extensions: { code: 'BAD_REQUEST' } }]);
    expect(errorLines().slice(before)).toEqual([]);
  });

  it('a GET whose URL holds a `#` after its variables: 400 BAD_REQUEST, and nothing logged as an error', async () => {
    const before = errorLines().length;
    const query = encodeURIComponent('{ viewer { policy { maxKeyAgeDays } } }');
    const response = await t.gateway.yoga.fetch(`http://keygate.test/graphql?query=${query}&variables=%7B%7D#x`, {
      headers: { 'x-graphql-yoga-csrf': '1', accept: 'application/json' },
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors).toEqual([{ message: 'The `variables` parameter of the URL is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }]);
    expect(errorLines().slice(before)).toEqual([]);
  });

  describe('text that is not UTF-8 is refused, not read as U+FFFD and sent to the provider under a name nobody typed', () => {
    const GENERATE = 'mutation { generateHyperstackApiKey(input: { name: "bad\u00ff-name" }) { secret } }';
    /** The mutation with its "ÿ" (U+00FF: two bytes in UTF-8) as the single byte 0xFF, as Latin-1 would send it. */
    const latin1 = (text: string) => Buffer.from(text, 'latin1');
    const chunked = (bytes: Uint8Array) =>
      new ReadableStream({
        start(controller) {
          controller.enqueue(bytes);
          controller.close();
        },
      });
    const JSON_TYPE = { 'content-type': 'application/json', accept: 'application/json' };
    const CSRF = { 'x-graphql-yoga-csrf': '1', accept: 'application/json' };
    const cases: [string, string, RequestInit][] = [
      ['a JSON body', '/graphql', { method: 'POST', headers: JSON_TYPE, body: latin1(JSON.stringify({ query: GENERATE })) }],
      ['a JSON body sent chunked', '/graphql', { method: 'POST', headers: JSON_TYPE, body: chunked(latin1(JSON.stringify({ query: GENERATE }))), duplex: 'half' } as RequestInit],
      ['an application/graphql body', '/graphql', { method: 'POST', headers: { ...CSRF, 'content-type': 'application/graphql' }, body: latin1(GENERATE) }],
      ['a form body', '/graphql', { method: 'POST', headers: { ...CSRF, 'content-type': 'application/x-www-form-urlencoded' }, body: latin1(`query=${GENERATE}`) }],
      ['a form body, percent-encoded', '/graphql', { method: 'POST', headers: { ...CSRF, 'content-type': 'application/x-www-form-urlencoded' }, body: `query=${encodeURIComponent(GENERATE).replace('%C3%BF', '%FF')}` }],
      ['a GET', `/graphql?query=${encodeURIComponent('{ apiKeys(filter: { search: "bad\u00ff" }) { totalCount } }').replace('%C3%BF', '%FF')}`, { headers: CSRF }],
    ];

    it.each(cases)('%s: 400 BAD_REQUEST, no upstream call', async (_, path, init) => {
      t.resetCounts();
      const response = await t.gateway.yoga.fetch(`http://keygate.test${path}`, init);
      expect(response.status).toBe(400);
      const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
      expect(body.errors).toEqual([{ message: expect.stringMatching(/not valid (percent-encoded )?UTF-8/), extensions: { code: 'BAD_REQUEST' } }]);
      expect(t.counts()).toEqual({});
    });

    it('the same text in UTF-8 runs, a stray % in a GET included', async () => {
      const get = await t.gateway.yoga.fetch(`http://keygate.test/graphql?query=${encodeURIComponent('{ apiKeys(filter: { search: "ÿ" }) { totalCount } }')}&x=100%`, { headers: CSRF });
      expect(await get.json()).toEqual({ data: { apiKeys: { totalCount: 0 } } });
      const post = await t.gateway.yoga.fetch('http://keygate.test/graphql', { method: 'POST', headers: JSON_TYPE, body: `\uFEFF${JSON.stringify({ query: '{ apiKeys(filter: { search: "ÿ" }) { totalCount } }' })}` });
      expect(await post.json()).toEqual({ data: { apiKeys: { totalCount: 0 } } });
    });
  });

  it('a form-encoded POST sent chunked is held to the body limit too', async () => {
    const big = `query=${encodeURIComponent('{ viewer { policy { maxKeyAgeDays } } }')}&variables=${'x'.repeat(300_000)}`;
    const response = await t.gateway.yoga.fetch('http://keygate.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-graphql-yoga-csrf': '1', accept: 'application/json' },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(big));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
  });

  it('a well-formed form-encoded POST still runs, its variables read', async () => {
    const form = new URLSearchParams({ query: 'query ($n: Int) { apiKeys(first: $n) { edges { node { id } } } }', variables: '{"n":1}' });
    const response = await t.gateway.yoga.fetch('http://keygate.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-graphql-yoga-csrf': '1', accept: 'application/json' },
      body: form.toString(),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { apiKeys: { edges: unknown[] } } };
    expect(body.data.apiKeys.edges).toHaveLength(1);
  });

  it('takes a leap day of any year, year 0 included', async () => {
    for (const day of ['2028-02-29T00:00:00Z', '2000-02-29T00:00:00Z', '0000-02-29T00:00:00+14:00']) {
      const { body } = await t.query(`{ apiKeys(first: 1, filter: { createdBefore: "${day}" }) { totalCount } }`);
      expect(body.errors, day).toBeUndefined();
    }
  });

  it('a GET with an empty variables parameter is answered, as yoga reads it: none', async () => {
    const response = await t.gateway.yoga.fetch('http://keygate.test/graphql?query=%7B%20viewer%20%7B%20policy%20%7B%20maxKeyAgeDays%20%7D%20%7D%20%7D&variables=', {
      headers: { 'x-graphql-yoga-csrf': '1', accept: 'application/json' },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { data: unknown }).data).toEqual({ viewer: { policy: { maxKeyAgeDays: 90 } } });
  });
});

describe('client-chosen strings in the request log', () => {
  it('a 90 KB operationName leaves a short log line', async () => {
    const before = t.logs().length;
    const name = `Op${'x'.repeat(90_000)}`;
    const response = await t.gateway.yoga.fetch('http://keygate.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ apiKeys { totalCount } }', operationName: name }),
    });
    await response.text();
    const lines = t.logs().slice(before).filter((line) => line.includes('graphql request'));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.length).toBeLessThan(1_000);
    expect(lines[0]).toContain(`"operation":"Op${'x'.repeat(98)}…"`);
  });
});

describe('provider error bodies, through the gateway', () => {
  const GATEWAY_KEY = 'hs-gateway-own-credential-0001';
  const CLIENT_KEY = 'hs-client-credential-0002';

  it('a 5xx stack trace, a password or a credential never reaches the client', async () => {
    const bodies = [
      { message: `Traceback (most recent call last): File "/srv/api/keys.py", line 88; db password=hunter2; api_key=${GATEWAY_KEY}` },
      { message: `The key ${CLIENT_KEY} may not create keys.` },
    ];
    const statuses = [500, 403];
    const provider = await startRawProvider(({ res }) => answer(res, statuses.shift()!, bodies.shift()));
    onTestFinished(() => provider.close());
    const gateway = createGateway(
      loadConfig({ DEMO: '0', LOG_LEVEL: 'silent', ALLOWED_HOSTS: 'keygate.test', INVENTORY_REFRESH_S: '0', HYPERSTACK_URL: provider.url, HYPERSTACK_API_KEY: GATEWAY_KEY, UPSTREAM_RETRIES: '0' }),
    );
    onTestFinished(() => gateway.close());
    const generate = async (headers: Record<string, string> = {}) => {
      const response = await gateway.yoga.fetch('http://keygate.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: 'mutation { generateHyperstackApiKey(input: { name: "x" }) { secret } }' }),
      });
      return response.text();
    };

    const failed = await generate();
    // The fixed message, and that the create may have happened (a 5xx leaves it unknown).
    expect(failed).toContain('"message":"Hyperstack failed with HTTP 500. The provider may have created the key anyway');
    expect(failed).toContain('"mayHaveCreated":true');
    expect(failed).not.toMatch(/Traceback|hunter2|keys\.py/);
    expect(failed).not.toContain(GATEWAY_KEY);

    const refused = await generate({ 'x-hyperstack-api-key': CLIENT_KEY });
    expect(refused).toContain('"message":"Hyperstack refused the request with HTTP 403."');
    expect(refused).not.toContain(CLIENT_KEY);
    expect(provider.requests.map((r) => r.headers.api_key)).toEqual([GATEWAY_KEY, CLIENT_KEY]);
  });
});

describe('response headers of the GraphQL endpoint', () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    t.gateway.yoga.fetch('http://keygate.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('every answer says Cache-Control: no-store (secrets travel in them), refusals included', async () => {
    const responses = [
      await post(JSON.stringify({ query: '{ apiKeys { totalCount } }' })),
      await post(JSON.stringify({ query: 'mutation { generateHyperstackApiKey(input: { name: "no-store" }) { secret } }' })),
      await post(JSON.stringify({ query: '{ apiKeys {' })),
      await post(JSON.stringify({ query: `{ apiKeys { totalCount } } # ${'x'.repeat(200_000)}` })),
      await t.gateway.yoga.fetch('http://keygate.test/graphql?query=%7BapiKeys%7BtotalCount%7D%7D', { headers: { accept: 'application/json' } }),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 413, 403]); // a parse error is 200 for application/json
    for (const response of responses) {
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('an event-stream answer (a secret can travel in one) carries one Cache-Control, no-store, on the wire', async () => {
    const server = createHttpServer(t.gateway);
    const { port } = await listen(server, t.gateway, 0, '127.0.0.1');
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { headers, body } = await request(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'mutation { generateHyperstackApiKey(input: { name: "streamed" }) { secret } }' }),
    });
    expect(await body.text()).toMatch(/"secret"/);
    expect(headers['cache-control']).toBe('no-store'); // twice on the wire would read as an array here
  });

  it('a create is answered in JSON whatever the Accept header: yoga would make the key, then answer 406 with no body', async () => {
    // An old draft's type, types with no GraphQL format, and JSON in a charset yoga does not write.
    for (const accept of ['application/graphql+json', 'text/html', 'text/plain', 'application/xml', 'application/json;charset=utf-16']) {
      const made = t.hyperstack.requests('POST /v1/api-key/generate');
      const response = await post(JSON.stringify({ query: `mutation { generateHyperstackApiKey(input: { name: "accept ${accept}" }) { secret } }` }), { accept });
      expect(t.hyperstack.requests('POST /v1/api-key/generate'), accept).toBe(made + 1);
      expect(response.status, accept).toBe(200);
      expect(response.headers.get('content-type'), accept).toBe('application/json; charset=utf-8');
      const body = (await response.json()) as { data: { generateHyperstackApiKey: { secret: string } } };
      expect(body.data.generateHyperstackApiKey.secret, accept).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('CORS: wherever the answer depends on Origin it says Vary: Origin', async () => {
    const cors = await startTestGateway({ env: { CORS_ORIGINS: 'https://console.example' } });
    onTestFinished(() => cors.close());
    const fetchWith = (origin: string, init: RequestInit = {}) =>
      cors.gateway.yoga.fetch('http://keygate.test/graphql', { ...init, headers: { origin, ...(init.headers as Record<string, string>) } });
    const preflight = { method: 'OPTIONS', headers: { 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } };
    const request = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ apiKeys { totalCount } }' }) };

    const allowedPreflight = await fetchWith('https://console.example', preflight);
    expect(allowedPreflight.status).toBe(204);
    expect(allowedPreflight.headers.get('access-control-allow-origin')).toBe('https://console.example');
    expect(allowedPreflight.headers.get('vary')).toMatch(/\bOrigin\b/);
    const refusedPreflight = await fetchWith('https://evil.example', preflight);
    expect(refusedPreflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(refusedPreflight.headers.get('vary')).toMatch(/\bOrigin\b/);

    const allowed = await fetchWith('https://console.example', request);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://console.example');
    expect(allowed.headers.get('access-control-expose-headers')).toBe('x-request-id');
    expect(allowed.headers.get('vary')).toMatch(/\bOrigin\b/);
    const refused = await fetchWith('https://evil.example', request);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(refused.headers.get('vary')).toMatch(/\bOrigin\b/);
  });
});

describe('a first request with curl', () => {
  const curl = (init: RequestInit) => t.gateway.yoga.fetch('http://keygate.test/graphql', init);
  const body = JSON.stringify({ query: '{ apiKeys { totalCount } }' });
  const errorOf = async (response: Response) => ((await response.json()) as { errors: { message: string; extensions: { code: string } }[] }).errors[0]!;

  it('without a Content-Type (or with the form type curl -d sends) is told to send application/json', async () => {
    t.resetCounts();
    const bare = await curl({ method: 'POST', body: new TextEncoder().encode(body) }); // bytes: fetch adds no content type
    expect(bare.status).toBe(415);
    expect(await errorOf(bare)).toEqual({
      message: 'Send Content-Type: application/json, with the operation as a JSON body ({"query": "…"}). With curl: -H \'Content-Type: application/json\'.',
      extensions: { code: 'BAD_REQUEST' },
    });
    const form = await curl({ method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    expect((await errorOf(form)).message).toMatch(/^Send Content-Type: application\/json.*, not application\/x-www-form-urlencoded\./);
    expect(t.counts()).toEqual({});
  });

  it('any other content type, or a compressed body, is a coded 415 that says what to send', async () => {
    t.resetCounts();
    const cases: Record<string, string>[] = [
      { 'content-type': 'application/xml' },
      { 'content-type': 'text/plain', 'x-graphql-yoga-csrf': '1' },
      { 'content-type': 'APPLICATION/GRAPHQL' },
      { 'content-type': 'multipart/form-data; boundary=x', 'x-graphql-yoga-csrf': '1' }, // no uploads here
      { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    ];
    for (const headers of cases) {
      const refused = await curl({ method: 'POST', body, headers });
      expect(refused.status, JSON.stringify(headers)).toBe(415);
      expect(await errorOf(refused)).toMatchObject({ message: expect.stringMatching(/^Send Content-Type: application\/json|^keygate reads request bodies uncompressed/), extensions: { code: 'BAD_REQUEST' } });
    }
    expect(t.counts()).toEqual({});
  });

  it('takes JSON whatever the letter case of its media type; invalid JSON is answered without echoing the body', async () => {
    const upper = await curl({ method: 'POST', body: JSON.stringify({ query: '{ viewer { policy { maxKeyAgeDays } } }' }), headers: { 'content-type': 'Application/JSON; charset=UTF-8' } });
    expect(upper.status).toBe(200);
    expect(await upper.json()).toEqual({ data: { viewer: { policy: { maxKeyAgeDays: 90 } } } });
    const listed = await curl({ method: 'POST', body: JSON.stringify({ query: '{ viewer { policy { maxKeyAgeDays } } }' }), headers: { 'content-type': 'application/json, text/plain' } });
    expect(listed.status).toBe(200); // a repeated header, joined: the first counts, as in yoga
    for (const accept of [undefined, 'application/json', 'application/graphql-response+json']) {
      const invalid = await curl({ method: 'POST', body: '{"query": "API-SECRETSECRETSECRETSECRET12', headers: { 'content-type': 'application/json', ...(accept ? { accept } : {}) } });
      expect(invalid.status, accept).toBe(400);
      expect(await invalid.json()).toEqual({ errors: [{ message: 'POST body sent invalid JSON.', extensions: { code: 'BAD_REQUEST' } }] });
    }
  });

  it('a GET without the CSRF header is told which header, and why', async () => {
    const get = await curl({ headers: { accept: 'application/json' } });
    expect(get.status).toBe(403);
    expect(await errorOf(get)).toMatchObject({ message: expect.stringMatching(/needs the header x-graphql-yoga-csrf/), extensions: { code: 'FORBIDDEN' } });
  });
});
