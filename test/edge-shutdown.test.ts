// Shutdown never cuts a create: new ones are refused once it begins, those running finish and
// deliver their secret. The provider is one the test holds and answers by hand.
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createGateway } from '../src/gateway.js';
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
