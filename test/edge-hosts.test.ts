// The gateway answers only to the hosts it is meant to be reached by (DNS rebinding), and refuses
// requests it could not even turn into a URL with a plain 400.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHost, type HostPolicy } from '../src/plugins/allowed-hosts.js';
import { loadConfig } from '../src/config.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { listen, type Listening } from './support/listen.js';

const MINT = JSON.stringify({ query: 'mutation { generateHyperstackApiKey(input: { name: "rebound" }) { secret } }' });

/** One request over a raw socket, exactly as written (Node's client would refuse to send some of these). */
function raw(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    // Not end(): a half-closed client gets its request aborted. Every request here says Connection: close.
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let response = '';
    socket.on('data', (chunk: Buffer) => (response += chunk.toString()));
    socket.on('close', () => resolve(response));
    socket.on('error', reject);
  });
}

const post = (host: string, body = MINT) =>
  `POST /graphql HTTP/1.1\r\nHost: ${host}\r\nOrigin: http://${host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);

let t: TestGateway;
let server: Listening;
let port: number;

beforeAll(async () => {
  t = await startTestGateway({ env: { CORS_ORIGINS: 'https://console.example' } });
  server = await listen(t.gateway); // PORT 0: the real port is known only after listening
  port = Number(new URL(server.url).port);
});
afterAll(async () => {
  await server.close();
  await t.close();
});

describe('DNS rebinding: a page on another site whose name resolves to 127.0.0.1', () => {
  it('cannot mint a key: its Host is refused with 421, saying which setting to change, before any upstream call', async () => {
    t.resetCounts();
    const response = await raw(server.url, post(`attacker.example.com:${port}`));
    expect(statusOf(response)).toBe(421);
    expect(response).toMatch(/content-type: text\/plain/i);
    expect(response).toContain(`keygate does not answer to the host "attacker.example.com:${port}"`);
    expect(response).toContain('ALLOWED_HOSTS=attacker.example.com');
    expect(response).not.toContain('secret');
    expect(t.counts()).toEqual({});
  });

  it('the same request for a loopback name on the listening port is answered', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `localhost.:${port}`]) {
      const response = await raw(server.url, post(host, JSON.stringify({ query: '{ apiKeys { totalCount } }' })));
      expect({ host, status: statusOf(response) }).toEqual({ host, status: 200 });
    }
  });

  it('a loopback name on another port is refused (another local server is another origin)', async () => {
    expect(statusOf(await raw(server.url, post(`localhost:${port + 1}`)))).toBe(421);
    expect(statusOf(await raw(server.url, post('localhost')))).toBe(421);
  });

  it('every route is refused for a foreign host: the console, GraphiQL, health, readiness, metrics, preflights, unknown paths', async () => {
    t.resetCounts();
    const fetchAs = (path: string, init: RequestInit = {}) => t.gateway.yoga.fetch(`http://attacker.example.com:${port}${path}`, init);
    const requests: [string, RequestInit?][] = [
      ['/'],
      ['/console/app.js'],
      ['/graphql', { headers: { accept: 'text/html' } }],
      ['/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: MINT }],
      ['/graphql', { method: 'OPTIONS', headers: { origin: 'https://console.example', 'access-control-request-method': 'POST' } }],
      ['/healthz'],
      ['/readyz'],
      ['/metrics'],
      ['/no-such-page'],
    ];
    for (const [path, init] of requests) {
      const response = await fetchAs(path, init);
      expect({ path, method: init?.method ?? 'GET', status: response.status }).toEqual({ path, method: init?.method ?? 'GET', status: 421 });
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    }
    expect(t.counts()).toEqual({});
  });
});

describe('requests yoga could not turn into a URL', () => {
  it.each([
    ['a Host with a space', `GET /graphql HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n`],
    ['a Host with an unclosed bracket', `GET /graphql HTTP/1.1\r\nHost: [zz\r\nConnection: close\r\n\r\n`],
    ['a Host carrying a path', `GET /metrics HTTP/1.1\r\nHost: localhost/graphql?\r\nConnection: close\r\n\r\n`],
    ['a Host with a user name', `GET /graphql HTTP/1.1\r\nHost: user@localhost\r\nConnection: close\r\n\r\n`],
    ['an absolute-form target', `POST http://127.0.0.1/graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${MINT.length}\r\nConnection: close\r\n\r\n${MINT}`],
    ['an asterisk target', `OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`],
    ['HTTP/1.0 without a Host', `GET /graphql HTTP/1.0\r\n\r\n`],
    ['two Host headers', `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`],
    // What the Host pattern lets through and the URL parser refuses (found by an outside review).
    ...['localhost:99999', '[::1]:65536', '[1]', '[::1::2]', '[:]', '999.999.999.999', '256.0.0.1:4717', '1.2.3.4.5', 'a.1.2.3.4', 'x.4294967296'].map(
      (host): [string, string] => [`Host: ${host}`, `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`],
    ),
  ])('%s gets a plain 400 with no internals', async (_, request) => {
    t.resetCounts();
    const response = await raw(server.url, request);
    expect(statusOf(response)).toBe(400);
    expect(response).not.toMatch(/\bat \w|node_modules|\/work\/|TypeError|Invalid URL/);
    expect(t.counts()).toEqual({});
  });
});

describe('checkHost, the one implementation of the rule', () => {
  const policy = (ALLOWED_HOSTS: string, port = 4000): HostPolicy => ({ allowed: loadConfig({ ALLOWED_HOSTS }).allowedHosts, port });
  const verdicts = (p: HostPolicy, hosts: string[]) => Object.fromEntries(hosts.map((host) => [host, checkHost(host, p).allowed]));

  it('a plain name matches that name on any port; a name with a port, that port only', () => {
    expect(verdicts(policy('keygate.example.com,api.example:8443'), ['keygate.example.com', 'keygate.example.com:443', 'KEYGATE.example.com', 'api.example:8443', 'api.example', 'api.example:443', 'x.keygate.example.com', 'keygate.example.com.evil'])).toEqual({
      'keygate.example.com': true,
      'keygate.example.com:443': true,
      'KEYGATE.example.com': true,
      'api.example:8443': true,
      'api.example': false,
      'api.example:443': false,
      'x.keygate.example.com': false,
      'keygate.example.com.evil': false,
    });
  });

  it('.example.com matches the name and its subdomains, nothing that merely ends the same', () => {
    expect(verdicts(policy('.corp.example'), ['corp.example', 'a.corp.example', 'a.b.corp.example:9', 'evilcorp.example', 'corp.example.evil'])).toEqual({
      'corp.example': true,
      'a.corp.example': true,
      'a.b.corp.example:9': true,
      'evilcorp.example': false,
      'corp.example.evil': false,
    });
  });

  it('the loopback names need the listening port (port 80 may be left out), whatever ALLOWED_HOSTS says', () => {
    expect(verdicts(policy('keygate.test', 4000), ['localhost:4000', '127.0.0.1:4000', '[::1]:4000', 'localhost', '127.0.0.2:4001', '[::1]:4001', '127.1:4000', '[::ffff:127.0.0.1]:4000'])).toEqual({
      'localhost:4000': true,
      '127.0.0.1:4000': true,
      '[::1]:4000': true,
      localhost: false,
      '127.0.0.2:4001': false,
      '[::1]:4001': false,
      '127.1:4000': false,
      '[::ffff:127.0.0.1]:4000': false,
    });
    // Any loopback address HOST may name without ALLOWED_HOSTS: the URL keygate prints is answered.
    const host = '127.0.0.2';
    const config = loadConfig({ HOST: host, PORT: '4000' });
    expect(checkHost(`${host}:4000`, { allowed: config.allowedHosts, port: config.port }).allowed).toBe(true);
    expect(checkHost('localhost', policy('keygate.test', 80)).allowed).toBe(true);
  });

  it('a fully qualified name (ending in the root dot) is the same name, in Host and in ALLOWED_HOSTS', () => {
    expect(verdicts(policy('keygate.example.com,.corp.example.:8443', 4000), ['keygate.example.com.', 'keygate.example.com.:443', 'a.corp.example.:8443', 'localhost.:4000', '127.0.0.1.:4000', 'evil.example.com.', 'keygate.example.com..', '.'])).toEqual({
      'keygate.example.com.': true,
      'keygate.example.com.:443': true,
      'a.corp.example.:8443': true,
      'localhost.:4000': true,
      '127.0.0.1.:4000': true,
      'evil.example.com.': false,
      'keygate.example.com..': false,
      '.': false,
    });
    expect(checkHost('keygate.example.com..', policy('keygate.example.com'))).toMatchObject({ status: 400 });
  });

  it('no Host, or one that is not host[:port], is a 400 that echoes nothing', () => {
    for (const host of [null, '', 'a b', '[zz', 'a/b', 'user@host', 'host:port', 'localhost:99999', '[1]', '999.999.999.999', '[::1].:4000', '.']) {
      const verdict = checkHost(host, policy('keygate.test'));
      expect(verdict).toMatchObject({ allowed: false, status: 400 });
    }
  });
});
