// The README's examples must run in the demo exactly as written, in order.
import { readFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startDemo } from '../src/demo.js';
import { createGateway } from '../src/gateway.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const examples = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!);


describe('README', () => {
  it('has examples for every query and mutation', () => {
    const all = examples.join('\n');
    for (const field of ['apiKeys', 'apiKey(', 'createOctopusApiKey', 'generateHyperstackApiKey', 'updateHyperstackApiKey', 'deleteApiKey']) {
      expect(all).toContain(field);
    }
  });

  it('examples run in the demo exactly as written', async () => {
    const demo = await startDemo(loadConfig({ LOG_LEVEL: 'silent' }));
    onTestFinished(() => demo.close());
    const gateway = createGateway(demo.config);
    onTestFinished(() => gateway.close());
    for (const query of examples) {
      const response = await gateway.yoga.fetch('http://keygate.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      });
      const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
      expect({ query, errors: body.errors }).toEqual({ query, errors: undefined });
      expect(Object.values(body.data ?? {}).every((v) => v !== null)).toBe(true);
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
