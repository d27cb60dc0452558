// The key console as served over HTTP: the page, its assets, their headers, and what its code may
// and may not do. The browser tests (test/browser/) drive it for real.
import { readFileSync } from 'node:fs';
import { Kind, parse, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIR, loadConsoleAssets } from '../src/plugins/console.js';
import { buildSchema } from '../src/schema/index.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

interface ConsoleApi {
  OPERATIONS: Record<string, string>;
  describeError(error: { message: string; extensions?: Record<string, unknown> }): string;
}
// Plain browser JS without type declarations: a non-literal specifier keeps tsc from resolving it.
const apiModule = '../src/console/api.js';
const api = (await import(apiModule)) as ConsoleApi;

let t: TestGateway;
const get = (path: string, init: RequestInit = {}) => t.gateway.yoga.fetch(`http://keygate.test${path}`, init);

beforeAll(async () => {
  t = await startTestGateway({ env: { LOG_LEVEL: 'silent' } });
});
afterAll(() => t.close());

/** The same-origin URLs a page or module refers to: script src, link href, img src, and JS imports. */
function references(text: string): string[] {
  const html = [...text.matchAll(/\s(?:src|href)="(\/[^"]*)"/g)].map((m) => m[1]!);
  const js = [...text.matchAll(/^import\s[^'"]*['"](\.\/[^'"]+)['"]/gm)].map((m) => `/console/${m[1]!.slice(2)}`);
  return [...html, ...js];
}

describe('GET /', () => {
  it('serves the console page with a strict CSP and no-sniff, no-referrer headers', async () => {
    const response = await get('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await response.text();
    expect(html).toMatch(/<title>[^<]*keygate<\/title>/);
    expect(html).toContain('<script type="module" src="/console/app.js"></script>');
  });

  it('has no inline script, event handler or style, which the CSP would block', async () => {
    const html = await (await get('/')).text();
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/\sstyle=|<style/i);
  });

  it('serves every file the page and its modules refer to, with the right type and the same headers', async () => {
    const seen = new Set<string>();
    const queue = ['/'];
    while (queue.length > 0) {
      const path = queue.shift()!;
      if (seen.has(path)) continue;
      seen.add(path);
      if (path === '/graphql') continue; // the GraphiQL link
      const response = await get(path);
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      const type = response.headers.get('content-type')!;
      const expected = path === '/' || path.endsWith('.html') ? 'text/html' : path.endsWith('.js') ? 'text/javascript' : path.endsWith('.css') ? 'text/css' : 'image/svg+xml';
      expect({ path, type }).toEqual({ path, type: expect.stringContaining(expected) });
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      if (/html|javascript/.test(type)) queue.push(...references(await response.text()));
    }
    expect([...seen].sort()).toEqual(
      ['/', '/console/api.js', '/console/app.js', '/console/console.css', '/console/favicon.svg', '/console/list.js', '/console/secret.js', '/console/view.js', '/graphql'].sort(),
    );
  });

  it('answers a repeat visit with 304 by ETag, HEAD without a body, other methods with 405', async () => {
    const first = await get('/console/app.js');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get('cache-control')).toBe('no-cache');
    expect((await get('/console/app.js', { headers: { 'if-none-match': etag } })).status).toBe(304);
    const head = await get('/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await get('/', { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('leaves other paths to the gateway', async () => {
    expect((await get('/console/nope.js')).status).toBe(404);
    expect((await get('/console/')).status).toBe(404);
  });

  it('stays light: the whole console is a few tens of kilobytes', () => {
    const assets = loadConsoleAssets();
    const bytes = [...new Set(assets.values())].reduce((sum, asset) => sum + Buffer.byteLength(asset.body), 0);
    console.log(`key console: ${assets.size - 1} files, ${(bytes / 1024).toFixed(1)} KiB uncompressed`);
    expect(bytes).toBeLessThan(64 * 1024);
  });

  it('fails at startup, naming the fix, when the build left the files out', () => {
    expect(() => loadConsoleAssets('/nonexistent/console')).toThrow(/npm run build/);
  });
});

describe('the console code', () => {
  const sources = ['app.js', 'api.js', 'view.js', 'secret.js'].map((name) => ({
    name,
    text: readFileSync(`${CONSOLE_DIR}/${name}`, 'utf8'),
  }));

  it('never inserts markup, evaluates strings or keeps anything in browser storage', () => {
    for (const { name, text } of sources) {
      for (const pattern of [/innerHTML|outerHTML|insertAdjacentHTML|document\.write/, /\beval\(|new Function/, /localStorage|sessionStorage|indexedDB|document\.cookie/]) {
        expect({ name, match: pattern.exec(text)?.[0] }).toEqual({ name, match: undefined });
      }
    }
  });

  it('sends only operations that are valid against the schema', () => {
    const schema = buildSchema();
    const operations = Object.entries(api.OPERATIONS);
    expect(operations.length).toBe(5);
    for (const [name, query] of operations) {
      expect({ name, errors: validate(schema, parse(query)).map((e) => e.message) }).toEqual({ name, errors: [] });
    }
  });

  it('asks who it acts as in the same request as the list, at no extra upstream call', async () => {
    const [list] = parse(api.OPERATIONS.LIST!).definitions;
    const fields = list?.kind === Kind.OPERATION_DEFINITION ? list.selectionSet.selections.map((s) => (s.kind === Kind.FIELD ? s.name.value : s.kind)) : [];
    expect(fields).toEqual(['apiKeys', 'viewer']);
    // A fresh gateway, so the Octopus user is not remembered yet: the list and viewer share one lookup.
    const fresh = await startTestGateway({ env: { LOG_LEVEL: 'silent' } });
    try {
      const answer = await fresh.query(api.OPERATIONS.LIST!, { first: 100 }, { 'x-graphql-yoga-csrf': 'test' });
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body.data).toMatchObject({ viewer: { octopusUser: { id: 'Users-1' } } });
      expect(fresh.counts()).toEqual({ 'GET /api/users/me': 1, 'GET /api/users/{userId}/apikeys': 1, 'GET /v1/api-key': 1 });
    } finally {
      await fresh.close();
    }
  });

  it('sends the CSRF-prevention header and JSON content type on every request', () => {
    const api = sources.find((s) => s.name === 'api.js')!.text;
    expect(api).toContain("'content-type': 'application/json'");
    expect(api).toContain("'x-graphql-yoga-csrf': 'keygate'");
  });

  it('puts errors into words, naming the provider', () => {
    const say = (code: string, provider?: string, message = 'boom', extra: Record<string, unknown> = {}) =>
      api.describeError({ message, extensions: { code, ...(provider ? { provider } : {}), ...extra } });
    expect(say('UPSTREAM_ERROR', 'HYPERSTACK', 'Internal Server Error')).toBe('Hyperstack is unavailable: Internal Server Error');
    expect(say('UPSTREAM_UNAVAILABLE', 'OCTOPUS')).toBe('Octopus Deploy is unavailable: boom');
    expect(say('UPSTREAM_TIMEOUT', 'OCTOPUS')).toBe('Octopus Deploy did not answer in time: boom');
    expect(say('FORBIDDEN', 'OCTOPUS', 'You do not have permission')).toBe('Octopus Deploy refused: You do not have permission');
    expect(say('CONFLICT', 'HYPERSTACK')).toBe('Hyperstack refused: boom');
    expect(say('UNAUTHENTICATED', 'HYPERSTACK')).toBe("Hyperstack did not accept keygate's credentials: boom");
    expect(say('NOT_FOUND', 'OCTOPUS')).toMatch(/^Octopus Deploy no longer has this key/);
    expect(say('RATE_LIMITED', 'HYPERSTACK', 'slow down', { retryAfterSeconds: 30 })).toBe('Hyperstack is limiting requests; try again in 30 s: slow down');
    expect(say('BAD_USER_INPUT', undefined, 'purpose is required')).toBe('Please check the input: purpose is required');
    expect(say('UNAUTHENTICATED', undefined, 'Authentication required: send Authorization: Bearer <token>.')).toBe(
      'keygate asks for an access token: enter it under “Access token”.',
    );
    expect(api.describeError({ message: 'Unexpected error.' })).toBe('Unexpected error.');
  });
});
