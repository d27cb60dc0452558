import type { HyperstackApiKey } from '../domain.js';
import { ApiKey, CreateApiKeyPayload, UpdateApiKeyPayload, keyName } from './api-key.js';
import { audited } from './audited.js';
import { builder } from './builder.js';
import { accountName } from './ids.js';
import { freeText } from './text.js';

builder.objectRef<HyperstackApiKey>('HyperstackApiKey').implement({
  description:
    'A Hyperstack API key. It acts for the Hyperstack user who made it, in every environment and region of the organisation, and does not expire.',
  interfaces: [builder.nodeInterfaceRef(), ApiKey],
  isTypeOf: (value) => (value as { provider?: unknown }).provider === 'HYPERSTACK',
});

const description = freeText('description', 1000);

const GenerateHyperstackApiKeyInput = builder.inputType('GenerateHyperstackApiKeyInput', {
  description: 'A new Hyperstack API key.',
  fields: (t) => ({
    account: t.string({
      required: false,
      description: 'The Hyperstack account to generate it at (see `viewer.accounts`). Required when there are several.',
      validate: accountName('account'),
    }),
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
    type: CreateApiKeyPayload,
    nullable: true,
    extensions: { createLimit: true, auditProvider: 'HYPERSTACK' },
    description:
      'Generates a Hyperstack API key and returns its secret, once, authenticating with the account\'s access token when it has one (servers that follow the seed require it here), else its API key. Fails with FORBIDDEN at the account\'s key quota. Counts against the create rate limit. Never retried automatically: when the outcome is unknown the error says `mayHaveCreated`; check `apiKeys` before trying again.',
    args: { input: t.arg({ type: GenerateHyperstackApiKeyInput, required: true }) },
    resolve: audited(({ input }, { apiKeys }) => apiKeys.generateHyperstackKey(input)),
  }),
);

builder.mutationField('updateHyperstackApiKey', (t) =>
  t.field({
    type: UpdateApiKeyPayload,
    nullable: true,
    description:
      'Renames a Hyperstack key or changes its description (the secret never changes). Only the fields you give change; Hyperstack wants both, so the gateway fills in the current value of the other.',
    args: { input: t.arg({ type: UpdateHyperstackApiKeyInput, required: true }) },
    extensions: { auditProvider: 'HYPERSTACK' },
    resolve: audited(async ({ input }, { apiKeys }) => ({ apiKey: await apiKeys.updateHyperstackKey(input) })),
  }),
);
