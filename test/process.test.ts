import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MINIMUM_NODE, unsupportedNode } from '../src/node-version.js';
import { startHyperstackSimulator, startOctopusSimulator, type HyperstackSimulator, type OctopusSimulator } from '../src/simulators/index.js';
import { runToExit, startGatewayProcess, upstreamEnv } from './support/process.js';

const LIST = JSON.stringify({ query: '{ apiKeys { totalCount unavailableProviders nodes { provider name } } }' });
const post = (url: string, body = LIST) =>
  fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('npm start with nothing configured (demo mode)', () => {
  it('starts both simulators, says so, serves keys of both providers, and stops cleanly on SIGTERM', async () => {
    const gateway = await startGatewayProcess({});
    try {
      await vi.waitFor(() => expect(gateway.output()).toMatch(/DEMO MODE/));
      expect(gateway.output()).toMatch(/GraphiQL http:\/\/127\.0\.0\.1:\d+\/graphql/);
      const response = await post(gateway.url);
      const body = (await response.json()) as { data: { apiKeys: { totalCount: number; nodes: { provider: string }[] } } };
      expect(new Set(body.data.apiKeys.nodes.map((k) => k.provider))).toEqual(new Set(['OCTOPUS', 'HYPERSTACK']));

      const page = await fetch(`${gateway.url}/graphql`, { headers: { accept: 'text/html' } });
      const html = await page.text();
      expect(html).toContain('<title>keygate</title>');
      expect(html).not.toMatch(/<script[^>]+src=["']https?:/); // GraphiQL works offline
    } finally {
      expect(await gateway.stop('SIGTERM')).toBe(0);
    }
  });
});

describe('with real upstreams configured', () => {
  let octopus: OctopusSimulator;
  let hyperstack: HyperstackSimulator;
  beforeAll(async () => {
    [octopus, hyperstack] = await Promise.all([startOctopusSimulator(), startHyperstackSimulator()]);
  });
  afterAll(async () => {
    await Promise.all([octopus.close(), hyperstack.close()]);
  });
  const env = () => upstreamEnv(octopus, hyperstack);

  it('talks to them, not to simulators of its own', async () => {
    const gateway = await startGatewayProcess(env());
    try {
      expect(gateway.output()).not.toMatch(/DEMO MODE/);
      octopus.resetCounts();
      const body = (await (await post(gateway.url)).json()) as { data: { apiKeys: { unavailableProviders: string[] } } };
      expect(body.data.apiKeys.unavailableProviders).toEqual([]);
      expect(octopus.requests('GET /api/users/{userId}/apikeys')).toBe(1);
    } finally {
      await gateway.stop();
    }
  });

  it('on SIGTERM stops accepting, lets the in-flight request finish, and exits 0', async () => {
    const gateway = await startGatewayProcess(env());
    octopus.resetCounts();
    octopus.setLatency(400);
    try {
      const inFlight = post(gateway.url);
      await vi.waitFor(() => expect(octopus.requests('GET /api/users/{userId}/apikeys')).toBe(1));
      gateway.child.kill('SIGTERM');
      const response = await inFlight;
      expect(response.status).toBe(200);
      const body = (await response.json()) as { data: { apiKeys: { unavailableProviders: string[]; totalCount: number } } };
      expect(body.data.apiKeys.unavailableProviders).toEqual([]);
      expect(await gateway.exited).toBe(0);
      await expect(post(gateway.url)).rejects.toThrow(); // no longer accepting
    } finally {
      octopus.setLatency(0);
      gateway.child.kill('SIGKILL');
    }
  });
});

describe('configuration errors', () => {
  it('a bad value stops startup with a message naming the variable (and hiding secrets)', async () => {
    const result = await runToExit({ UPSTREAM_TIMEOUT_MS: 'soon', OCTOPUS_URL: 'ftp://nope', OCTOPUS_API_KEY: '' });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/UPSTREAM_TIMEOUT_MS/);
    expect(result.output).toMatch(/OCTOPUS_URL/);
  });
});

describe('an older Node.js', () => {
  it('is named, with the version needed, instead of failing somewhere inside a dependency', () => {
    expect(unsupportedNode('18.20.4')).toBe(
      'keygate needs Node.js 20.19.0 or later; this is Node.js 18.20.4. Install a current LTS release, or run the container image.',
    );
    expect(unsupportedNode('v20.18.3')).toMatch(/needs Node\.js 20\.19\.0 or later; this is Node\.js 20\.18\.3/);
    for (const version of ['20.19.0', '20.20.1', '22.0.0', '24.11.1', '100.0.0']) expect(unsupportedNode(version)).toBeUndefined();
  });

  it('the version needed is the one package.json states, and the entry checks it before importing anything else', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`>=${MINIMUM_NODE}`);
    // ESM imports run before the module's code: any other static import would run on an old Node first.
    const entry = readFileSync(new URL('../src/main.ts', import.meta.url), 'utf8');
    expect([...entry.matchAll(/^import\b.*?from\s+'([^']+)'/gms)].map((m) => m[1])).toEqual(['./node-version.js']);
    expect(readFileSync(new URL('../src/node-version.ts', import.meta.url), 'utf8')).not.toMatch(/^import\b/m);
  });
});

describe('listening on every interface', () => {
  it('prints an address that works in a browser (loopback), not 0.0.0.0, which the host check would refuse', async () => {
    const gateway = await startGatewayProcess({ HOST: '0.0.0.0', DEMO: '1', ALLOWED_HOSTS: 'keygate.example' });
    try {
      expect(gateway.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(gateway.output()).not.toContain('0.0.0.0');
      const page = await fetch(`${gateway.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
    } finally {
      await gateway.stop();
    }
  });
});
