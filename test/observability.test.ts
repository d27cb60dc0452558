import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { startTestGateway, type TestGateway } from './support/gateway.js';

let t: TestGateway;

// Each test its own gateway and simulators, closed when it finishes.
beforeEach(async () => {
  const started = await startTestGateway({ captureLogs: true });
  onTestFinished(() => started.close());
  t = started;
});

const logLines = () => t.logs().map((line) => JSON.parse(line) as Record<string, unknown>);
const get = (path: string) => t.gateway.yoga.fetch(`http://keygate.test${path}`);
const post = (body: string) => t.gateway.yoga.fetch('http://keygate.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('structured request logs', () => {
  it('one line per request with request id, operation, duration, outcome and each upstream call', async () => {
    const response = await t.query('query Inventory { apiKeys { totalCount } }', undefined, { 'x-request-id': 'trace-abc-123' });
    expect(response.headers.get('x-request-id')).toBe('trace-abc-123');
    const line = logLines().find((l) => l.reqId === 'trace-abc-123')!;
    expect(line).toMatchObject({
      level: 30,
      msg: 'graphql request',
      operation: 'Inventory',
      type: 'query',
      status: 200,
      outcome: 'ok',
      durationMs: expect.any(Number),
    });
    expect(line.upstream).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ provider: 'OCTOPUS', method: 'GET', route: '/users/{userId}/apikeys', status: 200, ms: expect.any(Number) }),
        expect.objectContaining({ provider: 'HYPERSTACK', method: 'GET', route: '/api-key', status: 200 }),
      ]),
    );
  });

  it('makes up a request id when none (or a malformed one) is given, and returns it', async () => {
    const response = await t.query('{ apiKeys { totalCount } }', undefined, { 'x-request-id': 'bad id with spaces\n' });
    const id = response.headers.get('x-request-id');
    // 32 hex digits, not a UUID (which has a Hyperstack key's shape, blanked by the audit's guard).
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(logLines().some((l) => l.reqId === id)).toBe(true);
  });

  it('logs a partial outcome with the error codes when a provider fails', async () => {
    t.hyperstack.fault('GET /v1/api-key', { mode: 'error' });
    const response = await t.query('query Partial { apiKeys { totalCount } }');
    const line = logLines().find((l) => l.reqId === response.headers.get('x-request-id'))!;
    expect(line).toMatchObject({ operation: 'Partial', outcome: 'partial', errors: ['UPSTREAM_ERROR'] });
  });
});

describe('Prometheus metrics', () => {
  it('counts requests by operation and outcome, upstream calls by provider/route/status, and circuit state', async () => {
    await t.query('query MetricsProbe { apiKeys { totalCount } }');
    const response = await get('/metrics');
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/keygate_graphql_requests_total\{operation="MetricsProbe",type="query",outcome="ok"\} 1/);
    expect(text).toMatch(/keygate_graphql_request_duration_seconds_count\{operation="MetricsProbe",type="query",outcome="ok"\} 1/);
    expect(text).toMatch(/keygate_upstream_requests_total\{provider="OCTOPUS",method="GET",route="\/users\/\{userId\}\/apikeys",status="200"\} \d+/);
    expect(text).toMatch(/keygate_upstream_circuit_state\{provider="OCTOPUS"\} 0/);
    expect(text).toMatch(/process_resident_memory_bytes/);
  });

  it('keeps operation-name labels bounded whatever clients send', async () => {
    // 250 distinct names (no upstream call needed): the first 200 become labels, the rest "other".
    for (let i = 0; i < 250; i++) await t.query(`query Flood${i} { __typename }`);
    const text = await (await get('/metrics')).text();
    const names = new Set([...text.matchAll(/keygate_graphql_requests_total\{operation="([^"]*)"/g)].map((m) => m[1]));
    expect(names.has('other')).toBe(true);
    expect(names.has('Flood249')).toBe(false);
    expect(names.size).toBeLessThanOrEqual(200 + 3); // + other, anonymous, invalid
  });

  it('takes operation labels from operations that ran, not from names of refused requests', async () => {
    // 250 refused requests, each naming an operation its document does not hold (or no document).
    for (let i = 0; i < 250; i++) {
      const response = await post(JSON.stringify({ query: i % 2 ? '{ __typename }' : '{ nope', operationName: `Junk${i}` }));
      expect(((await response.json()) as { data?: unknown }).data ?? null).toBeNull();
    }
    await t.query('query AfterJunk { __typename }');
    const text = await (await get('/metrics')).text();
    const names = new Set([...text.matchAll(/keygate_graphql_requests_total\{operation="([^"]*)"/g)].map((m) => m[1]));
    expect([...names].filter((name) => name!.startsWith('Junk'))).toEqual([]);
    expect(names.has('AfterJunk')).toBe(true);
  });
});

describe('health', () => {
  it('/healthz answers while the process is alive', async () => {
    expect((await get('/healthz')).status).toBe(200);
  });

  it('/readyz is 200 when the upstreams answer and 503 when one does not', async () => {
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      ready: true,
      store: { ok: true, dialect: 'sqlite', latencyMs: expect.any(Number) },
      upstreams: { OCTOPUS: true, HYPERSTACK: true },
      accounts: [
        { provider: 'OCTOPUS', account: 'default', credential: 'ok' },
        { provider: 'HYPERSTACK', account: 'default', credential: 'ok' },
      ],
    });

    // Another gateway: readiness is remembered for a few seconds, so this one would still say 200.
    await using other = await startTestGateway();
    await other.hyperstack.close();
    const notReady = await other.gateway.yoga.fetch('http://keygate.test/readyz');
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ ready: false, upstreams: { OCTOPUS: true, HYPERSTACK: false } });
  });

  it('/readyz is 503 while a provider refuses the configured credential, and probes cost one check per interval', async () => {
    const t = await startTestGateway({ env: { READYZ_CREDENTIAL_CHECK_MS: '600000' } });
    onTestFinished(() => t.close());
    // The configured Hyperstack key is revoked behind keygate's back.
    const [hyperstackKey] = (await t.query<{ apiKeys: { nodes: { id: string }[] } }>(
      '{ apiKeys(filter: { providers: [HYPERSTACK] }) { nodes { id usedByGateway } } }',
    )).body.data!.apiKeys.nodes.filter((k) => (k as { usedByGateway?: boolean }).usedByGateway);
    await t.query('mutation($id: ID!) { deleteApiKey(input: { id: $id, confirmRevokeGatewayCredential: true }) { deletedId } }', {
      id: hyperstackKey!.id,
    });
    t.resetCounts();
    const probes = await Promise.all(Array.from({ length: 5 }, () => t.gateway.yoga.fetch('http://keygate.test/readyz')));
    for (const probe of probes) expect(probe.status).toBe(503);
    expect(await probes[0]!.json()).toMatchObject({
      ready: false,
      accounts: [
        { provider: 'OCTOPUS', account: 'default', credential: 'ok' },
        { provider: 'HYPERSTACK', account: 'default', credential: 'rejected' },
      ],
    });
    // Five probes, one credential check per account (the HTTP probes, unrouted, are not counted).
    expect(t.counts()).toEqual({ 'GET /api/users/me': 1, 'GET /v1/api-key': 1 });
  });
});

describe('secrets stay out of logs, metrics and errors', () => {
  it('a minted key, the configured credentials and a forwarded one appear in no log line, metric or error', async () => {
    const forwarded = t.hyperstack.credentials[1]!;
    const octopus = await t.query<{ createOctopusApiKey: { secret: string } }>(
      'mutation { createOctopusApiKey(input: { purpose: "observed" }) { secret } }',
    );
    const hyperstack = await t.query<{ generateHyperstackApiKey: { secret: string } }>(
      'mutation { generateHyperstackApiKey(input: { name: "observed" }) { secret } }',
      undefined,
      { 'X-Hyperstack-Api-Key': forwarded },
    );
    const minted = [octopus.body.data!.createOctopusApiKey.secret, hyperstack.body.data!.generateHyperstackApiKey.secret];
    // Use the minted keys as credentials too, including failing calls that produce errors and logs.
    const failures = await Promise.all([
      t.query('{ apiKeys { totalCount } }', undefined, { 'X-Octopus-ApiKey': `${minted[0]}x`, 'X-Hyperstack-Api-Key': `${minted[1]}x` }),
      t.query('{ apiKeys { totalCount } }', undefined, { 'X-Octopus-ApiKey': minted[0]!, 'X-Hyperstack-Api-Key': minted[1]! }),
    ]);
    const everything = [
      t.logs().join('\n'),
      await (await get('/metrics')).text(),
      JSON.stringify(failures.map((f) => f.body.errors ?? [])),
    ].join('\n');
    expect(t.logs().length).toBeGreaterThan(3);
    for (const secret of [...minted, forwarded, ...t.config.accounts.map((a) => a.apiKey!)]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('credentials of KEYGATE_CONFIG accounts appear in no log line, metric, error, viewer answer or page, even when refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keygate-secrets-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const fromFile = 'API-FROMAFILEFROMAFILEFROMAFI';
    const fromEnv = 'hyperstack-token-from-the-environment';
    writeFileSync(join(dir, 'octopus-staging'), `${fromFile}\n`);
    await using staging = await startTestGateway({ captureLogs: true });
    // Accounts read from a file, at servers that refuse them: errors, logs and metrics follow.
    const configFile = join(dir, 'keygate.yaml');
    writeFileSync(
      configFile,
      `accounts:\n  - name: staging\n    provider: octopus\n    url: ${staging.octopus.url}\n    apiKeyFrom: { file: ${join(dir, 'octopus-staging')} }\n` +
        `  - name: ml\n    provider: hyperstack\n    url: ${staging.hyperstack.url}\n    accessTokenFrom: { env: ML_TOKEN }\n`,
    );
    await using g = await startTestGateway({ captureLogs: true, env: { KEYGATE_CONFIG: configFile, ML_TOKEN: fromEnv } });
    expect(g.config.accounts.map((a) => a.name)).toEqual(['default', 'default', 'staging', 'ml']);
    const answers = [
      await g.query('{ apiKeys { totalCount } viewer { accounts { account { name host } reachable octopusUser { id } } } }'),
      await g.query('mutation { generateHyperstackApiKey(input: { account: "ml", name: "x" }) { secret } }'),
      await g.query('mutation { createOctopusApiKey(input: { account: "staging", purpose: "x" }) { secret } }'),
    ];
    expect(answers[0]!.body.errors?.some((e) => e.extensions?.account === 'staging')).toBe(true); // refused: a credential it does not know
    const pages = await Promise.all(['/', '/readyz', '/metrics'].map(async (path) => (await g.gateway.yoga.fetch(`http://keygate.test${path}`)).text()));
    const everything = [g.logs().join('\n'), JSON.stringify(answers.map((a) => a.body)), ...pages].join('\n');
    for (const secret of [fromFile, fromEnv]) expect(everything).not.toContain(secret);
  });
});
