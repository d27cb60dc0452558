import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printSchemaSDL } from '../src/schema/index.js';

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
      'createOctopusApiKey(input: CreateOctopusApiKeyInput!): CreateApiKeyPayload!',
      'generateHyperstackApiKey(input: GenerateHyperstackApiKeyInput!): CreateApiKeyPayload!',
      'updateHyperstackApiKey(input: UpdateHyperstackApiKeyInput!): UpdateApiKeyPayload!',
      'deleteApiKey(input: DeleteApiKeyInput!): DeleteApiKeyPayload!',
      'nodes(',
    ]) {
      expect(sdl).toContain(name);
    }
  });
});
