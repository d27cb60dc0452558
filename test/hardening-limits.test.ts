import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { maskError } from '../src/errors.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

let t: TestGateway;

// Each test its own gateway and simulators, closed when it finishes.
beforeEach(async () => {
  const started = await startTestGateway({ env: { CORS_ORIGINS: 'https://console.example' } });
  onTestFinished(() => started.close());
  t = started;
});

const raw = (path: string, init: RequestInit = {}) => t.gateway.yoga.fetch(`http://keygate.test${path}`, init);
const post = (body: string, headers: Record<string, string> = {}) =>
  raw('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
const codeOf = async (response: Response) => ((await response.json()) as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions?.code;

describe('operation limits: refused before any upstream call', () => {
  // Every limit but the token count is checked on the parsed document: a validation failure.
  const refused = async (query: string, code = 'GRAPHQL_VALIDATION_FAILED') => {
    t.resetCounts();
    const response = await t.query(query);
    expect(response.body.data ?? null).toBeNull();
    expect(response.body.errors).toEqual([expect.objectContaining({ extensions: { code } })]);
    expect(t.counts()).toEqual({});
    return response.body.errors![0]!;
  };

  it('apiKeys repeated under 10,000 aliases', async () => {
    const query = `query { ${Array.from({ length: 10_000 }, (_, i) => `a${i}: apiKeys { totalCount }`).join(' ')} }`;
    expect(query.length).toBeLessThan(400_000);
    // The body limit answers first here (413); with a bigger limit the alias and token limits would.
    const response = await post(JSON.stringify({ query }));
    expect(response.status).toBe(413);
    expect(t.counts()).toEqual({});
  });

  const sixteenAliases = `query { ${Array.from({ length: 16 }, (_, i) => `a${i}: apiKeys { totalCount }`).join(' ')} }`;

  it('too many aliases', async () => {
    const error = await refused(sixteenAliases);
    expect(error.message).toBe('Aliases limit of 15 exceeded, found 16.');
  });

  it('a limit crossed is a failed validation: HTTP 400 under the GraphQL-over-HTTP media type, nothing logged as an error', async () => {
    await using logged = await startTestGateway({ captureLogs: true });
    const response = await logged.gateway.yoga.fetch('http://keygate.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query: sixteenAliases }),
    });
    expect(response.status).toBe(400);
    expect(await codeOf(response)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(logged.logs().filter((line) => (JSON.parse(line) as { level: number }).level >= 50)).toEqual([]);
    const lines = logged.logs().map((line) => JSON.parse(line) as { outcome?: string; errors?: string[] });
    expect(lines.filter((line) => line.outcome)).toEqual([expect.objectContaining({ outcome: 'rejected', errors: ['GRAPHQL_VALIDATION_FAILED'] })]);
  });

  it('too deep', async () => {
    await using shallow = await startTestGateway({ env: { MAX_DEPTH: '2' } });
    shallow.resetCounts();
    const response = await shallow.query('query { apiKeys { edges { node { id } } } }');
    expect(response.body.errors).toEqual([
      expect.objectContaining({ message: 'Query depth limit of 2 exceeded, found 4.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
    ]);
    expect(shallow.counts()).toEqual({});
  });

  it('too many directives', async () => {
    const error = await refused(`query { apiKeys { totalCount ${'@include(if: true) '.repeat(21)} } }`);
    expect(error.message).toMatch(/^Directives limit/);
  });

  it('too many tokens', async () => {
    const error = await refused(`query { apiKeys { ${'totalCount '.repeat(2_001)} } }`, 'GRAPHQL_PARSE_FAILED');
    expect(error.message).toMatch(/Token limit/);
  });

  it('nested deeper than the parser\'s stack, within the token limit: a parse failure, no stack in the log', async () => {
    await using deep = await startTestGateway({ env: { MAX_TOKENS: '100000' }, captureLogs: true });
    deep.resetCounts();
    const depth = 40_000; // 80,000 tokens: more than any stack holds
    const response = await deep.query(`{ nodes(ids: ${'['.repeat(depth)}${']'.repeat(depth)}) { id } }`);
    expect(response.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/nested too deeply/), extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
    expect(deep.counts()).toEqual({});
    expect(deep.logs().filter((line) => /stack|RangeError|node_modules/.test(line))).toEqual([]);
  });

  it('too costly', async () => {
    const fields = 'id provider providerKeyId name description createdAt expiresAt keyHint';
    const error = await refused(
      `query { ${Array.from({ length: 15 }, (_, i) => `a${i}: apiKeys(first: 500) { nodes { ${fields} } }`).join(' ')} }`,
    );
    expect(error.message).toMatch(/^Query Cost limit of 25000 exceeded/);
  });

  it('a subscription, which this API has none of: a validation error (400), nothing logged as an error', async () => {
    await using logged = await startTestGateway({ captureLogs: true });
    logged.resetCounts();
    const response = await logged.gateway.yoga.fetch('http://keygate.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query: 'subscription { apiKeys { totalCount } }' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      errors: [expect.objectContaining({ message: 'This API has no subscription operations: send a query or a mutation.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })],
    });
    expect(logged.counts()).toEqual({});
    expect(logged.logs().filter((line) => (JSON.parse(line) as { level: number }).level >= 50)).toEqual([]);
  });
});

describe('a mutation that makes a key must select its secret', () => {
  const PAYLOAD = 'fragment F on CreateApiKeyPayload';
  it.each([
    ['only the new key\'s id', 'mutation { createOctopusApiKey(input: { purpose: "x" }) { apiKey { id } } }', {}],
    ['only __typename', 'mutation { generateHyperstackApiKey(input: { name: "x" }) { __typename } }', {}],
    ['the secret under @include(if: false)', 'mutation ($s: Boolean!) { generateHyperstackApiKey(input: { name: "x" }) { secret @include(if: $s) apiKey { id } } }', { s: false }],
    ['the secret under @skip, even if false', 'mutation { generateHyperstackApiKey(input: { name: "x" }) { secret @skip(if: false) } }', {}],
    ['the secret in an inline fragment under @include', 'mutation { createOctopusApiKey(input: { purpose: "x" }) { ... @include(if: true) { secret } } }', {}],
    ['a fragment without it', `mutation { createOctopusApiKey(input: { purpose: "x" }) { ...F } } ${PAYLOAD} { apiKey { id } }`, {}],
    ['a rotation without it', 'mutation { rotateApiKey(input: { id: "x", revokeOldAfter: 0 }) { rotation { state } } }', {}],
    ['one alias of two without it', 'mutation { a: generateHyperstackApiKey(input: { name: "a" }) { secret } b: generateHyperstackApiKey(input: { name: "b" }) { apiKey { id } } }', {}],
  ])('%s: refused at validation, before any upstream call', async (_, query, variables) => {
    t.resetCounts();
    const { body } = await t.query(query, variables);
    expect(body.data ?? null).toBeNull();
    expect(body.errors).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/makes a key whose secret is shown only in its answer: select `secret`/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
    ]);
    expect(t.counts()).toEqual({});
  });

  it('takes the secret under an alias or through a fragment', async () => {
    const { body } = await t.query(`mutation { made: createOctopusApiKey(input: { purpose: "x" }) { ...F apiKey { id } } } ${PAYLOAD} { s: secret }`);
    expect(body.errors).toBeUndefined();
    expect((body.data as { made: { s: string } }).made.s).toMatch(/^API-/);
  });
});

describe('names graphql-jit would read as an object\'s prototype', () => {
  it.each([
    ['the secret aliased __proto__ (the compiled answer would drop it)', 'mutation { createOctopusApiKey(input: { purpose: "x" }) { __proto__: secret apiKey { id } } }'],
    ['a rotation\'s secret aliased __proto__', 'mutation { rotateApiKey(input: { id: "x", revokeOldAfter: 0 }) { __proto__: secret } }'],
    ['a top-level field aliased __schema-like', 'query { __keys: apiKeys { totalCount } }'],
  ])('%s: refused at validation, before any upstream call', async (_, query) => {
    t.resetCounts();
    const { body } = await t.query(query);
    expect(body.data ?? null).toBeNull();
    expect(body.errors).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/^The alias "__\w+" begins with "__"/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
    ]);
    expect(t.counts()).toEqual({});
  });

  it('refuses a variable named $__proto__ at validation, before any upstream call', async () => {
    t.resetCounts();
    const { body } = await t.query('mutation ($__proto__: String!) { generateHyperstackApiKey(input: { name: $__proto__ }) { secret } }', { ['__proto__']: 'x' });
    expect(body.data ?? null).toBeNull();
    expect(body.errors).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/^The variable "\$__proto__" begins with "__"/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
    ]);
    expect(t.counts()).toEqual({});
  });

  it('reads a variable named after an Object.prototype member, left out, as absent', async () => {
    const { body } = await t.query('query ($constructor: Int, $toString: String) { apiKeys(first: $constructor, after: $toString) { totalCount } }', {});
    expect(body.errors).toBeUndefined();
    expect((body.data as { apiKeys: { totalCount: number } }).apiKeys.totalCount).toBeGreaterThan(0);
  });
});

describe('a document of several operations runs the one asked for, every time', () => {
  const DOC = 'query C { viewer { policy { maxKeyAgeDays } } } mutation D { generateHyperstackApiKey(input: { name: "jit-cache" }) { secret } }';

  it('a GET asking for the query of a document whose mutation ran before runs the query, never the mutation', async () => {
    const made = await post(JSON.stringify({ query: DOC, operationName: 'D' }));
    expect(((await made.json()) as { data: { generateHyperstackApiKey: { secret: string } } }).data.generateHyperstackApiKey.secret).toBeTruthy();
    t.resetCounts();
    const url = new URL('http://keygate.test/graphql');
    url.searchParams.set('query', DOC);
    url.searchParams.set('operationName', 'C');
    const response = await t.gateway.yoga.fetch(url, { headers: { 'x-graphql-yoga-csrf': '1', accept: 'application/json' } });
    const body = (await response.json()) as { data?: Record<string, unknown> };
    expect(Object.keys(body.data ?? {})).toEqual(['viewer']);
    expect(t.hyperstack.requests('POST /v1/api-key/generate')).toBe(0);
  });

  it('a name the document does not hold is refused, and does not spoil that document for the next client', async () => {
    const query = 'query A { viewer { policy { maxKeyAgeDays } } }';
    const wrong = (await (await post(JSON.stringify({ query, operationName: 'B' }))).json()) as { data?: unknown; errors?: unknown[] };
    expect(wrong.data ?? null).toBeNull();
    expect(wrong.errors).toHaveLength(1);
    for (const operationName of [undefined, 'A']) {
      const right = (await (await post(JSON.stringify({ query, operationName }))).json()) as { data?: unknown; errors?: unknown[] };
      expect(right.errors).toBeUndefined();
      expect(right.data).toEqual({ viewer: { policy: { maxKeyAgeDays: expect.any(Number) } } });
    }
  });
});

describe('HTTP-level protections', () => {
  it('refuses a body over the limit with 413, by Content-Length and when chunked', async () => {
    const big = JSON.stringify({ query: `query { apiKeys { totalCount } } # ${'x'.repeat(200_000)}` });
    const declared = await post(big);
    expect(declared.status).toBe(413);
    expect(await codeOf(declared)).toBe('BAD_USER_INPUT');
    const chunked = await raw('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 30; i++) controller.enqueue(new TextEncoder().encode(i === 0 ? big.slice(0, 10_000) : 'x'.repeat(10_000)));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it('serves GraphQL at exactly /graphql: other URLs ending in it get 404', async () => {
    t.resetCounts();
    for (const path of ['/graphql/', '/x/graphql', '/api/graphql']) {
      const response = await raw(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ apiKeys { totalCount } }"}' });
      expect(response.status).toBe(404);
    }
    expect(t.counts()).toEqual({});
  });

  it('refuses batched operations', async () => {
    const response = await post(JSON.stringify([{ query: '{ apiKeys { totalCount } }' }, { query: '{ apiKeys { totalCount } }' }]));
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(t.counts()).toEqual({});
  });

  it.each(['PUT', 'DELETE', 'PATCH', 'OPTIONS'])('%s on /graphql, with or without a body: 405 with Allow, not a CSRF refusal', async (method) => {
    t.resetCounts();
    for (const init of [{}, { headers: { 'content-type': 'application/json' }, body: '{"query":"{ apiKeys { totalCount } }"}' }]) {
      const response = await raw('/graphql', { method, ...init });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, POST');
      expect(await codeOf(response)).toBe('BAD_USER_INPUT');
    }
    expect(t.counts()).toEqual({});
  });

  it('never runs a mutation over GET', async () => {
    t.resetCounts();
    const query = encodeURIComponent('mutation { generateHyperstackApiKey(input: { name: "via-get" }) { secret } }');
    const response = await raw(`/graphql?query=${query}`, { headers: { 'x-graphql-yoga-csrf': '1', accept: 'application/json' } });
    expect(response.status).toBe(405);
    expect(t.counts()).toEqual({});
  });

  it('CSRF: a GET or a simple-content-type POST without the custom header is refused', async () => {
    t.resetCounts();
    const query = encodeURIComponent('{ apiKeys { totalCount } }');
    const get = await raw(`/graphql?query=${query}`, { headers: { accept: 'application/json' } });
    expect(get.status).toBe(403);
    expect(await codeOf(get)).toBe('FORBIDDEN');
    const form = await raw('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `query=${query}`,
    });
    expect(form.status).toBe(415); // refused, with the content type to send instead (test/edge-requests.test.ts)
    expect(t.counts()).toEqual({});
    const allowed = await raw(`/graphql?query=${query}`, { headers: { accept: 'application/json', 'x-graphql-yoga-csrf': '1' } });
    expect(allowed.status).toBe(200);
  });

  it('CORS: only the configured origins get CORS headers', async () => {
    const preflight = (origin: string) =>
      raw('/graphql', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    expect((await preflight('https://console.example')).headers.get('access-control-allow-origin')).toBe('https://console.example');
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    await using noCors = await startTestGateway();
    const response = await noCors.gateway.yoga.fetch('http://keygate.test/graphql', {
      method: 'OPTIONS',
      headers: { origin: 'https://console.example', 'access-control-request-method': 'POST' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('switches', () => {
  it('introspection can be turned off', async () => {
    await using closed = await startTestGateway({ env: { INTROSPECTION: '0' } });
    const response = await closed.query('{ __schema { types { name } } }');
    expect(response.body.errors?.[0]?.extensions?.code).toBeDefined();
    expect(response.body.data ?? null).toBeNull();
    const suggestion = await closed.query('{ apiKey { nam } }');
    expect(JSON.stringify(suggestion.body)).not.toMatch(/Did you mean/); // no schema leaks via suggestions
  });

  it('trusted documents: only listed operations run, by documentId or persisted-query hash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keygate-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'operations.json');
    writeFileSync(file, JSON.stringify({ countKeys: 'query CountKeys { apiKeys { totalCount } }', abc123: '{ apiKeys { totalCount } }' }));
    await using trusted = await startTestGateway({ env: { PERSISTED_OPERATIONS_FILE: file } });
    const send = (body: unknown) =>
      trusted.gateway.yoga.fetch('http://keygate.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const byId = (await (await send({ documentId: 'countKeys' })).json()) as { data?: { apiKeys: { totalCount: number } } };
    expect(byId.data?.apiKeys.totalCount).toBeGreaterThan(0);
    const byHash = (await (await send({ extensions: { persistedQuery: { version: 1, sha256Hash: 'abc123' } } })).json()) as { data?: unknown };
    expect(byHash.data).toBeDefined();
    // Over GET (a query: no CSRF preflight needed for the header) and a form body, as GraphQL over HTTP sends it.
    const byGet = await trusted.gateway.yoga.fetch('http://keygate.test/graphql?documentId=countKeys', { headers: { 'x-graphql-yoga-csrf': '1' } });
    expect(((await byGet.json()) as { data?: { apiKeys: { totalCount: number } } }).data?.apiKeys.totalCount).toBeGreaterThan(0);
    const byForm = await trusted.gateway.yoga.fetch('http://keygate.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-graphql-yoga-csrf': '1' },
      body: 'documentId=countKeys',
    });
    expect(((await byForm.json()) as { data?: unknown }).data).toBeDefined();
    trusted.resetCounts();
    expect(await codeOf(await send({ query: '{ apiKeys { totalCount } }' }))).toBe('PERSISTED_QUERY_ONLY');
    expect(await codeOf(await send({ documentId: 'nope' }))).toBe('PERSISTED_QUERY_NOT_FOUND');
    // No id a string could be: told what to send, as a client error.
    for (const body of [{ documentId: 5 }, { documentId: ['countKeys'] }, {}]) {
      const refused = await send(body);
      expect(await refused.json()).toEqual({ errors: [{ message: expect.stringMatching(/send a documentId \(a string\)/), extensions: { code: 'PERSISTED_QUERY_ONLY' } }] });
    }
    expect(trusted.counts()).toEqual({});
    const graphiql = await trusted.gateway.yoga.fetch('http://keygate.test/graphql', { headers: { accept: 'text/html' } });
    expect(await graphiql.text()).not.toContain('<title>keygate</title>'); // GraphiQL is off in this mode
    expect((await trusted.gateway.yoga.fetch('http://keygate.test/')).status).toBe(404); // and so is the console
  });

  it('an unexpected error is masked: no message, no stack', () => {
    const masked = maskError(new TypeError('Cannot read properties of undefined (reading \'x\') at /srv/keygate/src/secret.ts:1'), 'Unexpected error.');
    expect(masked.message).toBe('Unexpected error.');
    expect(JSON.stringify(masked)).not.toMatch(/secret\.ts|TypeError/);
    expect((masked as { extensions?: { code?: string } }).extensions?.code).toBe('INTERNAL_SERVER_ERROR');
  });
});
