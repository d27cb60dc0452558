// The built gateway (dist/main.js) as `npm start` runs it: demo mode, real upstreams, shutdown and
// startup errors. Each test starts its own process and simulators and disposes of them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MINIMUM_NODE, unsupportedNode } from '../src/node-version.js';
import { startHyperstackSimulator, startOctopusSimulator } from '../src/simulators/index.js';
import { testClient } from './support/client.js';
import { until } from './support/clock.js';
import { refusesConnections, runToExit, startGatewayProcess, upstreamEnv } from './support/process.js';

const LIST = '{ apiKeys { totalCount unavailableProviders nodes { provider name } } }';
const OCTOPUS_LIST = 'GET /api/users/{userId}/apikeys';
type ListData = { apiKeys: { totalCount: number; unavailableProviders: string[]; nodes: { provider: string }[] } };

describe('npm start with nothing configured (demo mode)', () => {
  it('starts both simulators, says so, serves keys of both providers, and stops cleanly on SIGTERM', async () => {
    await using gateway = await startGatewayProcess({});
    await using client = testClient(gateway.url);
    await gateway.waitForOutput(/DEMO MODE/);
    expect(gateway.output()).toMatch(/GraphiQL http:\/\/127\.0\.0\.1:\d+\/graphql/);
    const body = (await (await client.graphql(LIST)).json()) as { data: ListData };
    expect(new Set(body.data.apiKeys.nodes.map((k) => k.provider))).toEqual(new Set(['OCTOPUS', 'HYPERSTACK']));

    const page = await client.fetch('/graphql', { headers: { accept: 'text/html' } });
    const html = await page.text();
    expect(html).toContain('<title>keygate</title>');
    expect(html).not.toMatch(/<script[^>]+src=["']https?:/); // GraphiQL works offline

    await client.close();
    expect(await gateway.stop('SIGTERM')).toBe(0);
  });
});

describe('with real upstreams configured', () => {
  it('talks to them, not to simulators of its own', async () => {
    await using octopus = await startOctopusSimulator();
    await using hyperstack = await startHyperstackSimulator();
    await using gateway = await startGatewayProcess(upstreamEnv(octopus, hyperstack));
    await using client = testClient(gateway.url);
    expect(gateway.output()).not.toMatch(/DEMO MODE/);
    const body = (await (await client.graphql(LIST)).json()) as { data: ListData };
    expect(body.data.apiKeys.unavailableProviders).toEqual([]);
    expect(octopus.requests(OCTOPUS_LIST)).toBe(1);
  });

  it('on SIGTERM stops accepting, lets the in-flight request finish, and exits 0', async () => {
    await using octopus = await startOctopusSimulator();
    await using hyperstack = await startHyperstackSimulator();
    await using gateway = await startGatewayProcess({
      ...upstreamEnv(octopus, hyperstack),
      SHUTDOWN_GRACE_MS: '600000', // the request finishes when released, not when a clock runs out
      UPSTREAM_TIMEOUT_MS: '120000', // nor does the hold race the upstream timeout on a busy machine
    });
    await using client = testClient(gateway.url);
    const held = octopus.hold(OCTOPUS_LIST);
    const inFlight = client.graphql(LIST);
    await held.arrived;

    gateway.child.kill('SIGTERM');
    await until(() => refusesConnections(gateway.url), 'the gateway to stop accepting connections');
    expect(held.waiting).toBe(1); // still in flight
    held.release();

    const response = await inFlight;
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: ListData };
    expect(body.data.apiKeys.unavailableProviders).toEqual([]);
    expect(await gateway.exited).toBe(0);
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
