import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildSchema, printSchemaSDL } from '../src/schema/index.js';

describe('schema.graphql', () => {
  it('is the schema the code builds (run `npm run schema` after changing the schema)', () => {
    const committed = readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(printSchemaSDL());
  });

  it('keeps the public names of the design\'s contract', () => {
    const sdl = printSchemaSDL();
    for (const name of [
      'scalar DateTime',
      'enum ApiKeyProvider',
      'interface Node',
      'interface ApiKey implements Node',
      'type OctopusApiKey implements ApiKey & Node',
      'type HyperstackApiKey implements ApiKey & Node',
      'input ApiKeyFilter',
      'type ApiKeyConnection',
      'type ApiKeyEdge',
      // Payloads are nullable (design, "Secrets in payloads only"): one failing mutation field
      // must never null the data of another that created a key.
      'createOctopusApiKey(input: CreateOctopusApiKeyInput!): CreateApiKeyPayload\n',
      'generateHyperstackApiKey(input: GenerateHyperstackApiKeyInput!): CreateApiKeyPayload\n',
      'updateHyperstackApiKey(input: UpdateHyperstackApiKeyInput!): UpdateApiKeyPayload\n',
      'deleteApiKey(input: DeleteApiKeyInput!): DeleteApiKeyPayload\n',
      'nodes(',
      // The next layer's names.
      'enum ApiKeyRisk',
      'type Account {',
      'risks: [ApiKeyRisk!]!',
      'ageDays: Int',
      'account: Account!',
      'usedByGateway: Boolean!',
      'accessLevel: OctopusAccessLevel',
      'actorType: OctopusActorType',
      'owner: OctopusUser',
      'input ApiKeyOrder',
      'summary: ApiKeySummary!',
      'octopusUsers: OctopusUserScope',
    ]) {
      expect(sdl).toContain(name);
    }
  });
});

describe('the list\'s plain fields', () => {
  it('have no resolver, so graphql-jit reads the property inline instead of calling a function with a fresh info object per key and field', () => {
    const schema = buildSchema();
    const withResolver = (type: string, fields: string[]) => {
      const named = schema.getType(type);
      if (!named || !('getFields' in named)) throw new Error(`no type ${type}`);
      const all = named.getFields() as Record<string, { resolve?: unknown }>;
      return fields.filter((field) => all[field]!.resolve !== undefined);
    };
    for (const type of ['OctopusApiKey', 'HyperstackApiKey']) expect({ type, fields: withResolver(type, ['provider', 'createdAt', 'keyHint']) }).toEqual({ type, fields: [] });
    expect(withResolver('ApiKeyConnection', ['edges', 'pageInfo', 'totalCount'])).toEqual([]);
  });
});
