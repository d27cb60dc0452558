// The key console as served over HTTP: the page, its assets, their headers, and what its code may
// and may not do. The browser tests (test/browser/) drive it for real.
import { readdirSync, readFileSync } from 'node:fs';
import { Kind, parse, validate } from 'graphql';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { CONSOLE_DIR, loadConsoleAssets } from '../src/plugins/console.js';
import { buildSchema } from '../src/schema/index.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

interface GraphQLErrorLike {
  message: string;
  extensions?: Record<string, unknown>;
}
interface ConsoleApi {
  OPERATIONS: Record<string, string>;
  describeError(error: GraphQLErrorLike): string;
  describeMaybeCreated(error: GraphQLErrorLike, name: string): string;
  isGatewayCredentialRefusal(error: GraphQLErrorLike): boolean;
}
// Plain browser JS without type declarations: a non-literal specifier keeps tsc from resolving it.
const apiModule = '../src/console/api.js';
const api = (await import(apiModule)) as ConsoleApi;

let t: TestGateway;
const get = (path: string, init: RequestInit = {}) => t.gateway.yoga.fetch(`http://keygate.test${path}`, init);

// Each test its own gateway and simulators, closed when it finishes.
beforeEach(async () => {
  const started = await startTestGateway({ env: { LOG_LEVEL: 'silent' } });
  onTestFinished(() => started.close());
  t = started;
});

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
      [
        '/',
        '/console/activity.js',
        '/console/api.js',
        '/console/app.js',
        '/console/console.css',
        '/console/dialogs.js',
        '/console/favicon.svg',
        '/console/forms.js',
        '/console/governance.js',
        '/console/list.js',
        '/console/order.js',
        '/console/rotate.js',
        '/console/rotations.js',
        '/console/secret.js',
        '/console/view.js',
        '/console/viewer.js',
        '/console/views.js',
        '/console/words.js',
        '/graphql',
      ].sort(),
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
    // About 120 KiB with the governance, account, rotation and activity views, half of it comments
    // (about 34 KiB gzipped). No framework, no bundle: a budget that says when that stops being so.
    expect(bytes).toBeLessThan(144 * 1024);
  });

  it('fails at startup, naming the fix, when the build left the files out', () => {
    expect(() => loadConsoleAssets('/nonexistent/console')).toThrow(/npm run build/);
  });
});

describe('the console code', () => {
  const sources = readdirSync(CONSOLE_DIR)
    .filter((name) => name.endsWith('.js'))
    .map((name) => ({ name, text: readFileSync(`${CONSOLE_DIR}/${name}`, 'utf8') }));

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
    expect(operations.length).toBe(10);
    for (const [name, query] of operations) {
      expect({ name, errors: validate(schema, parse(query)).map((e) => e.message) }).toEqual({ name, errors: [] });
    }
  });

  it('asks who it acts as, the policy, the risk counts and the rotations under way in the same request as the list, at no extra upstream call', async () => {
    const [list] = parse(api.OPERATIONS.LIST!).definitions;
    const fields = list?.kind === Kind.OPERATION_DEFINITION ? list.selectionSet.selections.map((s) => (s.kind === Kind.FIELD ? s.name.value : s.kind)) : [];
    expect(fields).toEqual(['apiKeys', 'rotations', 'viewer']);
    // A fresh gateway, so the Octopus user is not remembered yet: the list, the owners and the viewer share one lookup.
    await using fresh = await startTestGateway({ env: { LOG_LEVEL: 'silent' } });
    const csrf = { 'x-graphql-yoga-csrf': 'test' };
    const first = { first: 100, orderBy: { field: 'CREATED_AT', direction: 'DESC' }, withSummary: true };
    const answer = await fresh.query<{ apiKeys: { summary: { byRisk: { risk: string; count: number }[] }; nodes: { owner?: { id: string } }[] } }>(
      api.OPERATIONS.LIST!,
      first,
      csrf,
    );
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data).toMatchObject({
      viewer: { accounts: [{ account: { provider: 'OCTOPUS', name: 'default' }, octopusUser: { id: 'Users-1' } }, { account: { provider: 'HYPERSTACK' } }], policy: { maxKeyAgeDays: 90 } },
    });
    expect(answer.body.data!.apiKeys.summary.byRisk).toContainEqual({ risk: 'NEVER_EXPIRES', count: 3 });
    expect(answer.body.data).toMatchObject({ rotations: { nodes: [], pageInfo: { hasNextPage: false } } });
    expect(answer.body.data!.apiKeys.nodes.filter((key) => key.owner).map((key) => key.owner!.id)).toEqual(['Users-1', 'Users-1', 'Users-1']);
    expect(fresh.counts()).toEqual({ 'GET /api/users/me': 1, 'GET /api/users/{userId}/apikeys': 1, 'GET /v1/api-key': 1 });
    // Later pages leave the summary and the rotations out: they do not change them.
    const next = await fresh.query(api.OPERATIONS.LIST!, { ...first, first: 2, withSummary: false }, csrf);
    expect(next.body.errors).toBeUndefined();
    expect(next.body.data).not.toHaveProperty('apiKeys.summary');
    expect(next.body.data).not.toHaveProperty('rotations');
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

  it('names the account and the Octopus user an error is about, once', () => {
    const error = (message: string, extensions: Record<string, unknown>) => api.describeError({ message, extensions: { provider: 'OCTOPUS', ...extensions } });
    // The gateway's own wording, as errors.ts writes it.
    expect(error('Octopus Deploy account "staging": Octopus Deploy failed with HTTP 500.', { code: 'UPSTREAM_ERROR', account: 'staging' })).toBe(
      'Octopus Deploy account “staging” is unavailable: Octopus Deploy failed with HTTP 500.',
    );
    expect(error('Octopus Deploy account "staging", user Users-8: You do not have permission.', { code: 'FORBIDDEN', account: 'staging', octopusUserId: 'Users-8' })).toBe(
      'Octopus Deploy account “staging”, user Users-8 refused: You do not have permission.',
    );
    expect(error('Octopus Deploy user Users-8: No.', { code: 'FORBIDDEN', account: 'default', octopusUserId: 'Users-8' })).toBe('Octopus Deploy user Users-8 refused: No.');
    expect(error('Octopus Deploy failed with HTTP 500.', { code: 'UPSTREAM_ERROR', account: 'default' })).toBe('Octopus Deploy is unavailable: Octopus Deploy failed with HTTP 500.');
    expect(api.describeMaybeCreated({ message: 'timed out', extensions: { code: 'UPSTREAM_TIMEOUT', provider: 'HYPERSTACK', account: 'ml', mayHaveCreated: true } }, 'batch')).toBe(
      'Hyperstack account “ml” did not confirm “batch” but may have created it: its secret did not reach keygate. If a key “batch” is highlighted in the list below, it is the one this create made: revoke it (nobody has its secret), then create the key again.',
    );
  });

  it('tells keygate\'s refusal to revoke its own key from a provider\'s 403, on the gateway\'s real answer', async () => {
    const csrf = { 'x-graphql-yoga-csrf': 'test' };
    const listed = await t.query<{ apiKeys: { nodes: { id: string; name: string; usedByGateway: boolean }[] } }>(api.OPERATIONS.LIST!, { first: 100, withSummary: false }, csrf);
    const own = listed.body.data!.apiKeys.nodes.find((key) => key.usedByGateway && key.name === 'Octopus CLI on laptop')!;
    const refused = await t.query(api.OPERATIONS.DELETE!, { input: { id: own.id } }, csrf);
    expect(refused.body.errors).toHaveLength(1);
    expect(api.isGatewayCredentialRefusal(refused.body.errors![0]!)).toBe(true);
    expect(api.isGatewayCredentialRefusal({ message: 'API key quota reached', extensions: { code: 'FORBIDDEN', provider: 'HYPERSTACK' } })).toBe(false);
    expect(api.isGatewayCredentialRefusal({ message: 'Not found', extensions: { code: 'NOT_FOUND', provider: 'OCTOPUS' } })).toBe(false);
  });
});
