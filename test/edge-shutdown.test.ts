// Shutdown never cuts a create: new ones are refused once it begins, those running finish and
// deliver their secret. The provider is one the test holds and answers by hand.
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createGateway } from '../src/gateway.js';
import { connect } from 'node:net';
import { createHttpServer, listen } from '../src/server.js';
import { startTestGateway } from './support/gateway.js';
import { startGatewayProcess } from './support/process.js';
import { answer, startRawProvider } from './support/raw-provider.js';

const GENERATE = (name: string) => JSON.stringify({ query: `mutation { generateHyperstackApiKey(input: { name: "${name}" }) { secret apiKey { name } } }` });
const generated = (name: string, secret: string) => ({
  status: true,
  message: 'API Key generated successfully',
  api_key: { id: 7, name, description: '', key: secret, created_at: '2026-11-30T10:00:00Z' },
});

describe('draining (in process)', () => {
  it('refuses new creates with 503, Retry-After and SERVICE_UNAVAILABLE, while a running one delivers its secret and reads still run', async () => {
    const provider = await startRawProvider(({ method, res }) => {
      if (method === 'GET') answer(res, 200, { status: true, api_keys: [] });
      // creates wait for the test
    });
    onTestFinished(() => provider.close());
    const gateway = createGateway(
      loadConfig({ DEMO: '0', LOG_LEVEL: 'silent', ALLOWED_HOSTS: 'keygate.test', INVENTORY_REFRESH_S: '0', HYPERSTACK_URL: provider.url, HYPERSTACK_API_KEY: 'hs-key' }),
    );
    onTestFinished(() => gateway.close());
    const send = (body: string) =>
      Promise.resolve(gateway.yoga.fetch('http://keygate.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body }));

    const running = send(GENERATE('before-shutdown'));
    const held = await provider.request(1); // the provider has it, and has not answered
    gateway.drain();

    const refused = await send(GENERATE('after-shutdown'));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    const refusal = (await refused.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
    expect(refusal.errors[0]!.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1 });
    expect(refusal.errors[0]!.message).toMatch(/shutting down/);
    const read = await send(JSON.stringify({ query: '{ apiKeys { totalCount } }' }));
    expect(read.status).toBe(200);
    expect(provider.requests.filter((r) => r.method === 'POST')).toHaveLength(1); // the refused one never left

    answer(held.res, 200, generated('before-shutdown', 'hs-secret-delivered-at-shutdown'));
    const body = (await (await running).json()) as { data: { generateHyperstackApiKey: { secret: string } } };
    expect(body.data.generateHyperstackApiKey.secret).toBe('hs-secret-delivered-at-shutdown');
  });
});

describe('the gate before each create', () => {
  const TWO = JSON.stringify({ query: 'mutation { a: generateHyperstackApiKey(input: { name: "a" }) { secret } b: generateHyperstackApiKey(input: { name: "b" }) { secret } }' });

  /** A Hyperstack whose first create waits for the test; any later one is answered at once. */
  async function provider() {
    const started = await startRawProvider(({ method, body, res }) => {
      if (method === 'GET') return answer(res, 200, { status: true, api_keys: [] });
      const name = (JSON.parse(body) as { name: string }).name;
      if (started.requests.filter((r) => r.method === 'POST').length > 1) answer(res, 200, generated(name, `hs-secret-${name}`));
    });
    onTestFinished(() => started.close());
    return started;
  }

  it('an operation of several creates starts no new one once shutdown begins: the running one delivers its secret, the next is refused before any call', async () => {
    const hyperstack = await provider();
    const gateway = createGateway(
      loadConfig({ DEMO: '0', LOG_LEVEL: 'silent', ALLOWED_HOSTS: 'keygate.test', INVENTORY_REFRESH_S: '0', HYPERSTACK_URL: hyperstack.url, HYPERSTACK_API_KEY: 'hs-key' }),
    );
    onTestFinished(() => gateway.close());
    const running = Promise.resolve(gateway.yoga.fetch('http://keygate.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: TWO }));
    const held = await hyperstack.request(1);
    gateway.drain();
    answer(held.res, 200, generated('a', 'hs-secret-a'));
    const body = (await (await running).json()) as { data: Record<string, { secret: string } | null>; errors?: { path: string[]; extensions: { code: string } }[] };
    expect(body.data).toEqual({ a: { secret: 'hs-secret-a' }, b: null });
    expect(body.errors).toEqual([expect.objectContaining({ path: ['b'], extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1 } })]);
    expect(hyperstack.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('starts no create for a client that has gone, and the trail says whose secret reached no one', async () => {
    await using t = await startTestGateway();
    const server = createHttpServer(t.gateway);
    const { port } = await listen(server, t.gateway, 0, '127.0.0.1');
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const held = t.hyperstack.hold('POST /v1/api-key/generate');
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(`POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(TWO)}\r\n\r\n${TWO}`);
    await held.arrived;
    socket.destroy(); // the client gives up while the first key is being made
    await expect.poll(() => new Promise<number>((resolve) => server.getConnections((_, n) => resolve(n)))).toBe(0);
    held.release();
    await expect.poll(async () => (await t.gateway.store!.events.list({ first: 10 })).edges.length).toBe(2);
    const events = (await t.gateway.store!.events.list({ first: 10 })).edges.map((e) => e.node);
    expect(events.map((e) => [e.keyName, e.outcome, e.detail])).toEqual(
      expect.arrayContaining([
        ['a', 'OK', "the client had closed the request, so this key's secret reached no one: revoke the key"],
        ['b', 'SERVICE_UNAVAILABLE', null],
      ]),
    );
    expect(t.counts()['POST /v1/api-key/generate']).toBe(1);
  });
});

describe('SIGTERM with a create in flight', () => {
  it('the create finishes and its secret reaches the client; then the process exits 0', async () => {
    const provider = await startRawProvider();
    onTestFinished(() => provider.close());
    const gateway = await startGatewayProcess({ HYPERSTACK_URL: provider.url, HYPERSTACK_API_KEY: 'hs-key', LOG_LEVEL: 'info' });
    onTestFinished(() => void gateway.child.kill('SIGKILL'));

    const response = fetch(`${gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: GENERATE('in-flight') });
    const held = await provider.request(1); // the provider has the create
    gateway.child.kill('SIGTERM');
    await vi.waitFor(() => expect(gateway.output()).toMatch(/no longer accepting connections or key creations/));

    answer(held.res, 200, generated('in-flight', 'hs-secret-across-sigterm'));
    const delivered = await response;
    expect(delivered.status).toBe(200);
    expect(await delivered.json()).toEqual({ data: { generateHyperstackApiKey: { secret: 'hs-secret-across-sigterm', apiKey: { name: 'in-flight' } } } });
    expect(await gateway.exited).toBe(0);
  });
});
