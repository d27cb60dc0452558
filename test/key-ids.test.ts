// Global ids of API keys: what a client gets back decodes to the key it names, and the id kept on a
// record (computed once per record) never outlives a change of the parts it is made of.
import { describe, expect, it } from 'vitest';
import type { ApiKeyRecord } from '../src/domain.js';
import { apiKeyGlobalId, parseApiKeyId } from '../src/services/key-ids.js';

const octopus: ApiKeyRecord = {
  provider: 'OCTOPUS',
  account: 'default',
  id: 'ApiKeys-1',
  userId: 'Users-1',
  purpose: 'ci',
  createdAt: null,
  expiresAt: null,
  lastUsedAt: null,
  lastUsedKnown: true,
  accessLevel: null,
  actorType: null,
  keyHint: null,
};

describe('apiKeyGlobalId', () => {
  it('decodes back to the provider, account and reference of the key', () => {
    expect(parseApiKeyId(apiKeyGlobalId(octopus))).toEqual({ provider: 'OCTOPUS', account: 'default', userId: 'Users-1', id: 'ApiKeys-1' });
    const hyperstack: ApiKeyRecord = { provider: 'HYPERSTACK', account: 'team', id: '42', name: 'x', description: null, keyHint: null, createdAt: null };
    expect(parseApiKeyId(apiKeyGlobalId(hyperstack))).toEqual({ provider: 'HYPERSTACK', account: 'team', id: '42' });
  });

  it('gives a copy made with spread its own id, not the one kept on the original', () => {
    const first = apiKeyGlobalId(octopus);
    expect(apiKeyGlobalId(octopus)).toBe(first);
    const moved = { ...octopus, account: 'other' };
    expect(parseApiKeyId(apiKeyGlobalId(moved))).toMatchObject({ account: 'other' });
    // A record keeps comparing equal to one that never had its id asked for.
    expect(octopus).toEqual({ ...moved, account: 'default' });
  });
});
