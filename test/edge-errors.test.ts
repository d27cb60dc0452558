// Errors at the edge: what a client gets for bad variables, and that nothing is logged as a crash.
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
