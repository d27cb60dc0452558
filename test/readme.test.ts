// The README's examples must run in the demo exactly as written, in order.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startDemo } from '../src/demo.js';
import { createGateway } from '../src/gateway.js';
import { openStore } from '../src/store/index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const examples = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!);


describe('README', () => {
  it('has examples for every query and mutation', () => {
    const all = examples.join('\n');
    for (const field of [
      'apiKeys',
      'apiKey(',
      'createOctopusApiKey',
      'generateHyperstackApiKey',
      'updateHyperstackApiKey',
      'deleteApiKey',
      'rotateApiKey',
      'rotations',
      'completeRotation',
      'cancelRotation',
      'auditEvents',
      'revokeLeakedSecret',
      'viewer',
    ]) {
      expect(all).toContain(field);
    }
  });

  it('examples run in the demo exactly as written', async () => {
    const demo = await startDemo(loadConfig({ LOG_LEVEL: 'silent', ALLOWED_HOSTS: 'keygate.test' }));
    onTestFinished(() => demo.close());
    // A fresh store, as a fresh demo has: the examples name the first and second rotation.
    const store = await openStore({ url: 'sqlite::memory:' });
    onTestFinished(() => store.close());
    const gateway = createGateway(demo.config, { store, storeLoops: false });
    onTestFinished(() => gateway.close());
    for (const query of examples) {
      const response = await gateway.yoga.fetch('http://keygate.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      });
      const body = (await response.json()) as {
        data?: Record<string, unknown>;
        errors?: { path?: string[]; extensions?: { code?: string } }[];
      };
      // An example that shows one field failing says which, and how: the others still answer.
      const fails = /^# fails: (\w+) (\w+)$/m.exec(query);
      if (fails) {
        expect(body.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[[fails[1]], fails[2]]]);
        expect(body.data?.[fails[1]!]).toBeNull();
        const others = Object.entries(body.data ?? {}).filter(([field]) => field !== fails[1]);
        expect(others.length).toBeGreaterThan(0);
        for (const [, value] of others) expect(value).toMatchObject({ secret: expect.any(String) });
        continue;
      }
      expect({ query, errors: body.errors }).toEqual({ query, errors: undefined });
      expect(Object.values(body.data ?? {}).every((v) => v !== null)).toBe(true);
    }
  });

  it('the Accounts example is a KEYGATE_CONFIG file the gateway loads as written', () => {
    const yaml = /### Accounts[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(yaml).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'keygate-readme-'));
    try {
      // The example's container secret, at a path this test may write.
      const secretFile = join(dir, 'octopus-staging');
      writeFileSync(secretFile, 'API-STAGINGSTAGINGSTAGINGSTAGI\n');
      const file = join(dir, 'keygate.yaml');
      writeFileSync(file, yaml!.replace('/run/secrets/octopus-staging', secretFile));
      const config = loadConfig({
        KEYGATE_CONFIG: file,
        OCTOPUS_PROD_API_KEY: 'API-PRODUCTIONPRODUCTIONPRODUC',
        HYPERSTACK_ML_API_KEY: 'ml-team-api-key',
        HYPERSTACK_ML_ACCESS_TOKEN: 'ml-team-access-token',
      });
      expect(config.demo).toBe(false);
      expect(config.accounts).toEqual([
        { name: 'production', provider: 'OCTOPUS', baseUrl: 'https://octopus.example.com/api', apiKey: 'API-PRODUCTIONPRODUCTIONPRODUC', fromFile: true },
        { name: 'staging', provider: 'OCTOPUS', baseUrl: 'https://octopus-staging.example.com/api', apiKey: 'API-STAGINGSTAGINGSTAGINGSTAGI', fromFile: true },
        {
          name: 'ml-team',
          provider: 'HYPERSTACK',
          baseUrl: 'https://infrahub-api.nexgencloud.com/v1',
          apiKey: 'ml-team-api-key',
          accessToken: 'ml-team-access-token',
          fromFile: true,
        },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('quick start uses scripts that exist', () => {
    const scripts = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
    expect(scripts.start).toBeDefined();
    expect(scripts.test).toBeDefined();
  });
});
