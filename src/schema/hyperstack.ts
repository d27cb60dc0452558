import { z } from 'zod';
import { badUserInput, gatewayError } from '../errors.js';
import type { HyperstackApiKey } from '../upstream/hyperstack.js';
import { ApiKey, CreateApiKeyPayload, UpdateApiKeyPayload, keyName } from './api-key.js';
import { builder } from './builder.js';
import { requireApiKeyId } from './ids.js';

builder.objectRef<HyperstackApiKey>('HyperstackApiKey').implement({
  description:
    'A Hyperstack API key. It acts for the Hyperstack user who made it, in every environment and region of the organisation, and does not expire.',
  interfaces: [builder.nodeInterfaceRef(), ApiKey],
  isTypeOf: (value) => (value as { provider?: unknown }).provider === 'HYPERSTACK',
});

const description = z.string().max(1000, 'description must be at most 1000 characters.');

const GenerateHyperstackApiKeyInput = builder.inputType('GenerateHyperstackApiKeyInput', {
  description: 'A new Hyperstack API key.',
  fields: (t) => ({
    name: t.string({
      required: true,
      description:
        'The key\'s name. Required; Hyperstack refuses a name you already use (CONFLICT) and may limit its length (its documentation says 50 characters).',
      validate: keyName('name'),
    }),
    description: t.string({ required: false, description: 'Optional free text about the key.', validate: description }),
  }),
});

const UpdateHyperstackApiKeyInput = builder.inputType('UpdateHyperstackApiKeyInput', {
  description: 'A change to a Hyperstack key. Fields left out keep their current value.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The global `id` of a Hyperstack key.' }),
    name: t.string({ required: false, description: 'The new name; leave it out to keep the current one.', validate: keyName('name') }),
    description: t.string({
      required: false,
      description: 'The new description; leave it out to keep the current one, pass null or "" to clear it.',
      validate: description,
    }),
  }),
});

builder.mutationField('generateHyperstackApiKey', (t) =>
  t.field({
    extensions: { createLimit: true },
    type: CreateApiKeyPayload,
    description:
      'Generates a Hyperstack API key and returns its secret, once. Fails with FORBIDDEN at the account\'s key quota. Never retried automatically: if the response is lost, check `apiKeys` before trying again.',
    args: { input: t.arg({ type: GenerateHyperstackApiKeyInput, required: true }) },
    resolve: async (_root, { input }, { loaders }) => {
      const created = await loaders.hyperstack().generateKey({ name: input.name.trim(), description: input.description ?? null });
      loaders.forgetHyperstack();
      return created;
    },
  }),
);

builder.mutationField('updateHyperstackApiKey', (t) =>
  t.field({
    type: UpdateApiKeyPayload,
    description:
      'Renames a Hyperstack key or changes its description (the secret never changes). Only the fields you give change; Hyperstack wants both, so the gateway fills in the current value of the other.',
    args: { input: t.arg({ type: UpdateHyperstackApiKeyInput, required: true }) },
    resolve: async (_root, { input }, { loaders }) => {
      const id = requireApiKeyId(input.id);
      if (id.provider !== 'HYPERSTACK') {
        throw badUserInput('Only Hyperstack keys can be renamed; Octopus keys cannot be changed after creation.', { field: 'id' });
      }
      // GraphQL has no explicit undefined: undefined is "left out", null is "given as null".
      if (input.name === null) {
        throw badUserInput('name cannot be null: leave it out to keep the current name.', { field: 'name' });
      }
      const hasDescription = input.description !== undefined;
      const fields = { name: input.name?.trim(), description: hasDescription ? input.description || null : undefined };
      if (fields.name === undefined || !hasDescription) {
        // Only when a field is left out do we need its current value: one list call.
        const current = await loaders.hyperstackKey(id.id);
        if (!current) throw gatewayError('NOT_FOUND', `Hyperstack has no API key with id ${id.id}.`, 'HYPERSTACK');
        if (fields.name === undefined && !hasDescription) return { apiKey: current };
        fields.name ??= current.name;
        if (!hasDescription) fields.description = current.description;
      }
      const apiKey = await loaders.hyperstack().updateKey(id.id, { name: fields.name!, description: fields.description ?? null });
      loaders.forgetHyperstack();
      return { apiKey };
    },
  }),
);
