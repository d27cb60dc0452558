// GraphiQL as served: offline, titled keygate, every example tab valid and runnable in the demo, and
// its bundle as static files.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { parse, validate, type OperationDefinitionNode } from 'graphql';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { DEFAULT_QUERY, DEMO_LEAKED, EXAMPLES, HEADERS_NOTE, headersNote } from '../src/graphiql.js';
import { DEMO_LEAKED_SECRET } from '../src/simulators/seed.js';
import { GraphiQLAssets, readGraphiQLManifest } from '../src/graphiql-assets.js';
import { buildSchema } from '../src/schema/index.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

interface Tab {
  query: string;
  variables: string | null;
  headers: string | null;
}
interface PageOptions {
  title: string;
  defaultQuery: string;
  defaultTabs: Tab[];
  headers: string;
  defaultHeaders: string;
  shouldPersistHeaders: boolean;
}

/**
 * JSON with `//` comments and trailing commas, as GraphiQL's editors accept it. Enough for our own
 * examples, whose comments are whole lines.
 */
function parseJsonc(text: string): unknown {
  const stripped = text
    .split('\n')
    .map((line) => line.replace(/^\s*\/\/.*$/, ''))
    .join('\n')
    .replace(/,(\s*[}\]])/g, '$1');
  return JSON.parse(stripped) as unknown;
}

/** What the page hands GraphiQL: its options, as JSON data the bootstrap script reads. */
function pageData(page: string): { options: PageOptions; workers: Record<string, string> } {
  const embedded = /<script type="application\/json" id="graphiql-options">(.*?)<\/script>/s.exec(page);
  if (!embedded) throw new Error('GraphiQL options not found in the page');
  return JSON.parse(embedded[1]!) as { options: PageOptions; workers: Record<string, string> };
}

const schema = buildSchema();
let t: TestGateway;
let html: string;
let response: Response;
let options: PageOptions;

// Each test its own gateway (the example tabs change the demo data), and the page as it serves it.
beforeEach(async () => {
  // The default simulators hold the demo's seed data, whose ids the examples use.
  const started = await startTestGateway({ env: { LOG_LEVEL: 'silent' } });
  onTestFinished(() => started.close());
  t = started;
  response = await t.gateway.yoga.fetch('http://keygate.test/graphql', { headers: { accept: 'text/html' } });
  html = await response.text();
  options = pageData(html).options;
});

describe('the GraphiQL page', () => {
  it('names the demo\'s leaked key by the secret the seed gives it', () => {
    expect(DEMO_LEAKED).toBe(DEMO_LEAKED_SECRET);
  });

  it('is HTML titled keygate', () => {
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html).toContain('<title>keygate</title>');
    expect(options.title).toBe('keygate');
  });

  it('needs nothing from the internet: no external script, stylesheet, font or icon', () => {
    const sources = [...html.matchAll(/<script[^>]*\ssrc="([^"]*)"/gi)].map((m) => m[1]);
    expect(sources).toHaveLength(2);
    for (const source of sources) expect(source).toMatch(/^\/graphiql\/[\w.-]+\.js$/); // our own files
    expect(html).not.toMatch(/<link[^>]*\shref=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import\s+(url\()?["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?(https?:)?\/\//i);
  });

  it('opens on the unified list and has a tab for every query and mutation', () => {
    expect(options.defaultTabs[0]!.query).toBe(DEFAULT_QUERY);
    expect(options.defaultQuery).toBe(DEFAULT_QUERY);
    const covered = new Set(
      options.defaultTabs.flatMap((tab) =>
        parse(tab.query).definitions.flatMap((d) =>
          d.kind === 'OperationDefinition' ? d.selectionSet.selections.map((s) => (s.kind === 'Field' ? s.name.value : '')) : [],
        ),
      ),
    );
    const roots = [...Object.keys(schema.getQueryType()!.getFields()), ...Object.keys(schema.getMutationType()!.getFields())];
    expect(roots.filter((field) => !covered.has(field))).toEqual([]);
    expect(options.defaultTabs).toHaveLength(EXAMPLES.length);
  });

  it('has one named, schema-valid operation per tab, with variables GraphiQL can parse', () => {
    for (const tab of options.defaultTabs) {
      const document = parse(tab.query);
      expect({ query: tab.query, errors: validate(schema, document).map((e) => e.message) }).toEqual({ query: tab.query, errors: [] });
      const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
      expect(operations).toHaveLength(1);
      expect(operations[0]!.name?.value).toMatch(/^[A-Z]\w+$/); // the tab's title
      if (tab.variables !== null) expect(parseJsonc(tab.variables)).toBeTypeOf('object');
    }
  });

  it('notes the credential headers in the headers editor without sending any', () => {
    for (const headers of [options.headers, options.defaultHeaders, ...options.defaultTabs.map((tab) => tab.headers)]) {
      expect(headers).toBe(HEADERS_NOTE);
    }
    expect(HEADERS_NOTE).toContain('"X-Octopus-ApiKey"');
    expect(HEADERS_NOTE).toContain('"X-Hyperstack-Api-Key"');
    expect(HEADERS_NOTE).not.toContain('Authorization'); // this gateway needs no token
    expect(parseJsonc(HEADERS_NOTE)).toEqual({}); // all commented out: no header is sent as is
  });

  it('keeps headers (which may hold a provider key) out of the browser storage', () => {
    expect(options.shouldPersistHeaders).toBe(false);
  });
});

describe('the example tabs, run in order against the demo data', () => {
  it('every tab runs as written, without errors, and the mutations do what they say', async () => {
    const results: Record<string, Record<string, unknown>> = {};
    for (const tab of options.defaultTabs) {
      const variables = tab.variables === null ? undefined : (parseJsonc(tab.variables) as Record<string, unknown>);
      const { status, body } = await t.query(tab.query, variables, { 'x-graphql-yoga-csrf': 'graphiql' });
      const name = (parse(tab.query).definitions[0] as OperationDefinitionNode).name!.value;
      expect({ name, status, errors: body.errors }).toEqual({ name, status: 200, errors: undefined });
      // Every root field answered: the demo ids in the examples name real keys.
      expect({ name, data: Object.values(body.data!).filter((v) => v === null) }).toEqual({ name, data: [] });
      results[name] = body.data!;
    }

    const list = results.ApiKeys!.apiKeys as { nodes: { provider: string }[] };
    expect(new Set(list.nodes.map((k) => k.provider))).toEqual(new Set(['OCTOPUS', 'HYPERSTACK']));
    expect((results.Nodes!.nodes as unknown[]).every((n) => n !== null)).toBe(true);
    expect(results.CreateOctopusApiKey!.createOctopusApiKey).toMatchObject({ secret: expect.stringMatching(/^API-/) });
    expect(results.GenerateHyperstackApiKey!.generateHyperstackApiKey).toMatchObject({ secret: expect.any(String) });
    expect(results.UpdateHyperstackApiKey!.updateHyperstackApiKey).toMatchObject({ apiKey: { name: 'terraform-ci' } });
    expect(results.DeleteApiKey!.deleteApiKey).toMatchObject({ provider: 'OCTOPUS' });
  });
});

describe('GraphiQL served as static files', () => {
  const get = (path: string, headers: Record<string, string> = {}) => t.gateway.yoga.fetch(`http://keygate.test${path}`, { headers });
  const assetUrls = () => [...html.matchAll(/(?:src|href)="(\/graphiql\/[^"]+)"/g)].map((m) => m[1]!).concat(Object.values(pageData(html).workers));

  it('the page is small, runs no inline script, and may not be framed', () => {
    expect(Buffer.byteLength(html)).toBeLessThan(30_000); // the bundle (~9 MB) is no longer in it
    for (const [tag] of html.matchAll(/<script\b[^>]*>/g)) expect(tag).toMatch(/\ssrc="\/graphiql\/|type="application\/json"/);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('every asset has its content hash in the URL, and is compressed by Accept-Encoding and cacheable for good', async () => {
    const urls = assetUrls();
    expect(urls).toHaveLength(6); // stylesheet, bundle, bootstrap and three editor workers
    const total = { identity: 0, br: 0 };
    for (const url of urls) {
      const plain = await get(url);
      const body = Buffer.from(await plain.arrayBuffer());
      expect(url).toContain(createHash('sha256').update(body).digest('base64url').slice(0, 16));
      expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(plain.headers.get('vary')).toBe('Accept-Encoding');
      expect(plain.headers.get('content-encoding')).toBeNull();
      expect(Number(plain.headers.get('content-length'))).toBe(body.length);

      const br = await get(url, { 'accept-encoding': 'gzip, deflate, br' });
      expect(br.headers.get('content-encoding')).toBe('br');
      const brBody = Buffer.from(await br.arrayBuffer());
      expect(brotliDecompressSync(brBody).equals(body)).toBe(true);
      total.identity += body.length;
      total.br += brBody.length;

      const gz = await get(url, { 'accept-encoding': 'gzip;q=1, br;q=0' });
      expect(gz.headers.get('content-encoding')).toBe('gzip');
      expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).equals(body)).toBe(true);
    }
    console.log(`GraphiQL: ${(total.identity / 1e6).toFixed(1)} MB, ${(total.br / 1e6).toFixed(1)} MB with brotli`);
    expect(total.br).toBeLessThan(total.identity / 3);
  });

  it('nothing else below /graphiql/ is served, and nothing there reaches GraphQL', async () => {
    t.resetCounts();
    expect((await get('/graphiql/nope.js')).status).toBe(404);
    expect((await get('/graphiql/')).status).toBe(404);
    const post = await t.gateway.yoga.fetch(`http://keygate.test/graphiql/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation { generateHyperstackApiKey(input: { name: "x" }) { secret } }' }),
    });
    expect(post.status).toBe(404);
    expect((await t.gateway.yoga.fetch(`http://keygate.test${assetUrls()[0]}`, { method: 'POST' })).status).toBe(405);
    expect(t.counts()).toEqual({});
  });

  it('is built once, to disk, and the bundle does not stay in memory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keygate-graphiql-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const manifest = await new GraphiQLAssets(dir).get();
    const built = statSync(join(dir, 'manifest.json')).mtimeMs;
    // Loaded with require and dropped from its cache: the ~9 MB of strings can be collected.
    const require = createRequire(import.meta.url);
    expect(require.cache[require.resolve('@graphql-yoga/render-graphiql/graphiql')]).toBeUndefined();
    // Another gateway (a restart) reads what is there.
    expect(await new GraphiQLAssets(dir).get()).toEqual(manifest);
    expect(statSync(join(dir, 'manifest.json')).mtimeMs).toBe(built);
    // Files from another version of the bundle are not used.
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, source: 'render-graphiql@0.0.1+old' }));
    expect(readGraphiQLManifest(dir)).toBeUndefined();
  });
});

describe('GraphiQL with client authentication on', () => {
  it('the page and its files need no token; GraphQL does, and the headers note says how to send it', async () => {
    const guarded = await startTestGateway({ env: { GATEWAY_TOKENS: 'ci:ci-token-0123456789abcdef' } });
    onTestFinished(() => guarded.close());
    const page = await guarded.gateway.yoga.fetch('http://keygate.test/graphql', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const { options: guardedOptions, workers } = pageData(await page.text());
    expect((await guarded.gateway.yoga.fetch(`http://keygate.test${workers.graphql}`)).status).toBe(200);
    expect(guardedOptions.defaultHeaders).toBe(headersNote(true));
    expect(headersNote(true)).toContain('// "Authorization": "Bearer <token>",');
    expect(parseJsonc(headersNote(true))).toEqual({});
    expect(parseJsonc(headersNote(true).replace('// "Authorization"', '"Authorization"'))).toEqual({ Authorization: 'Bearer <token>' });
    expect((await guarded.query('{ apiKeys { totalCount } }')).status).toBe(401);
  });
});
