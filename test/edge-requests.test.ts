// Requests at the edge: what a client gets for bad variables, and what a request leaves in the log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './support/gateway.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ captureLogs: true });
});
afterAll(() => t.close());

const errorLines = () => t.logs().filter((line) => (JSON.parse(line) as { level: number }).level >= 50);

describe('variables graphql-jit refuses', () => {
  it.each([
    ['a string for an Int', 'query ($first: Int) { apiKeys(first: $first) { totalCount } }', { first: 'abc' }],
    ['an unknown enum value', 'query ($f: ApiKeyFilter) { apiKeys(first: 1, filter: $f) { totalCount } }', { f: { providers: ['NOPE'] } }],
    ['a missing required variable', 'query ($id: ID!) { apiKey(id: $id) { id } }', {}],
  ])('%s is BAD_USER_INPUT with the reason, before any upstream call, and no error is logged', async (_, query, variables) => {
    t.resetCounts();
    const before = errorLines().length;
    const { body } = await t.query(query, variables);
    expect(body.data ?? null).toBeNull();
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]!.extensions?.code).toBe('BAD_USER_INPUT');
    expect(body.errors![0]!.message).toMatch(/^Variable "\$\w+"/);
    expect(t.counts()).toEqual({});
    expect(errorLines().slice(before)).toEqual([]);
  });
});

describe('client-chosen strings in the request log', () => {
  it('a 90 KB operationName leaves a short log line', async () => {
    const before = t.logs().length;
    const name = `Op${'x'.repeat(90_000)}`;
    const response = await t.gateway.yoga.fetch('http://keygate.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ apiKeys { totalCount } }', operationName: name }),
    });
    await response.text();
    const lines = t.logs().slice(before).filter((line) => line.includes('graphql request'));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.length).toBeLessThan(1_000);
    expect(lines[0]).toContain(`"operation":"Op${'x'.repeat(98)}…"`);
  });
});
