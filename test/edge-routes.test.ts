// GraphQL answers on /graphql alone. Every other path serves its own page or is a 404; none of them
// runs an operation (which would escape the request log, the metrics and path-keyed checks).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './support/gateway.js';

const MINT = 'mutation { generateHyperstackApiKey(input: { name: "sideways" }) { secret } }';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ captureLogs: true });
});
afterAll(() => t.close());

const at = (path: string, init: RequestInit = {}) => t.gateway.yoga.fetch(`http://keygate.test${path}`, init);
const requestLines = () => t.logs().filter((line) => line.includes('"msg":"graphql request'));
const operationsCounted = async () => {
  const text = await (await at('/metrics')).text();
  return [...text.matchAll(/^keygate_graphql_requests_total\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
};
/** What an operation that ran would leave: request lines and counted operations, compared before and after each request. */
const traces = async () => ({ requestLines: requestLines().length, operations: await operationsCounted() });

const SIDEWAYS = [
  '/console/graphql',
  '/console/a/graphql',
  '/console/x?y=/graphql',
  '/metrics?x=/graphql',
  '/healthz?x=/graphql',
  '/readyz/graphql',
  '/?/graphql',
  '/graphiql/graphql',
  '/graphql/',
  '//graphql',
  '/graphql//',
  '/graphql%2F',
  '/%2Fgraphql',
  '/graphq%6C',
  '/GRAPHQL',
  '/graphql;x',
  '/graphql.json',
  '/api/graphql',
  '/x/../graphql/',
];

describe('GraphQL outside /graphql', () => {
  it.each(SIDEWAYS)('POST %s runs nothing: 404 or 405, no upstream call, no request line or metric', async (path) => {
    t.resetCounts();
    const before = await traces();
    const response = await at(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: MINT }) });
    expect([404, 405]).toContain(response.status);
    expect(await response.text()).not.toContain('secret');
    expect(t.counts()).toEqual({});
    expect(await traces()).toEqual(before);
  });

  it.each(SIDEWAYS)('GET %s with a query runs nothing either (a page that exists just serves itself)', async (path) => {
    t.resetCounts();
    const query = encodeURIComponent('{ apiKeys { totalCount } }');
    const separator = path.includes('?') ? '&' : '?';
    const before = await traces();
    const response = await at(`${path}${separator}query=${query}`, { headers: { accept: 'application/json', 'x-graphql-yoga-csrf': '1' } });
    const page = ['/metrics', '/healthz', '/'].includes(path.split('?')[0]!);
    expect(page ? [200] : [404, 405]).toContain(response.status);
    expect(await response.text()).not.toMatch(/totalCount|"data"/);
    expect(t.counts()).toEqual({});
    expect(await traces()).toEqual(before);
  });

  it('HEAD and OPTIONS on /graphql run nothing', async () => {
    t.resetCounts();
    const head = await at('/graphql?query=%7BapiKeys%7BtotalCount%7D%7D', { method: 'HEAD', headers: { 'x-graphql-yoga-csrf': '1' } });
    expect([403, 405]).toContain(head.status);
    expect([403, 405]).toContain((await at('/graphql', { method: 'OPTIONS' })).status); // no CORS configured: no preflight either
    expect(t.counts()).toEqual({});
  });

  it('/graphql itself runs operations, each logged and counted', async () => {
    const before = await operationsCounted();
    const response = await t.query('query Counted { apiKeys { totalCount } }');
    expect(response.status).toBe(200);
    expect(requestLines().at(-1)).toContain('"operation":"Counted"');
    expect(await operationsCounted()).toBe(before + 1);
  });
});

describe('the pages that exist still serve, and only with their own methods', () => {
  it.each([
    ['/', 'text/html'],
    ['/console/app.js', 'text/javascript'],
    ['/console/console.css', 'text/css'],
    ['/healthz', null],
    ['/readyz', 'application/json'],
    ['/metrics', 'text/plain'],
  ])('GET %s', async (path, type) => {
    const response = await at(path);
    expect(response.status).toBe(200);
    if (type) expect(response.headers.get('content-type')).toContain(type);
  });

  it('GraphiQL, for a browser', async () => {
    const response = await at('/graphql', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<title>keygate</title>');
  });

  it.each([
    ['POST', '/healthz'],
    ['POST', '/readyz'],
    ['DELETE', '/metrics'],
    ['POST', '/metrics'],
    ['POST', '/'],
    ['PUT', '/console/app.js'],
  ])('%s %s is 405', async (method, path) => {
    expect((await at(path, { method, headers: { 'content-type': 'application/json' }, body: method === 'DELETE' ? undefined : JSON.stringify({ query: MINT }) })).status).toBe(405);
  });

  it('unknown paths are 404, the console\'s included', async () => {
    for (const path of ['/nope', '/console/', '/console/nope.js', '/health', '/graphiql']) expect({ path, status: (await at(path)).status }).toEqual({ path, status: 404 });
  });
});
