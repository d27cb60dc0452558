import type { OctopusApiKey } from '../upstream/octopus.js';
import { ApiKey, CreateApiKeyPayload, keyName } from './api-key.js';
import { builder } from './builder.js';
import { octopusUserId } from './ids.js';

export const OctopusApiKeyType = builder.objectRef<OctopusApiKey>('OctopusApiKey').implement({
  description:
    'An Octopus Deploy API key. It belongs to an Octopus user and acts with that user\'s permissions; it expires at `expiresAt`.',
  interfaces: [builder.nodeInterfaceRef(), ApiKey],
  isTypeOf: (value) => (value as { provider?: unknown }).provider === 'OCTOPUS',
  fields: (t) => ({
    purpose: t.exposeString('purpose', { description: 'The purpose given when the key was created (same as `name`).' }),
    userId: t.exposeID('userId', { description: 'The Octopus user the key belongs to, e.g. `Users-1`.' }),
  }),
});

const CreateOctopusApiKeyInput = builder.inputType('CreateOctopusApiKeyInput', {
  description: 'A new Octopus API key.',
  fields: (t) => ({
    userId: t.id({
      required: false,
      description:
        'The Octopus user to create the key for, e.g. `Users-1`. Omit it for the user the Octopus credential belongs to. Creating keys for another user needs Octopus permission to edit that user.',
      validate: octopusUserId('userId'),
    }),
    purpose: t.string({
      required: true,
      description: 'What the key is for, shown in Octopus and as `name` here. Required, at most 200 characters.',
      validate: keyName('purpose'),
    }),
    expiresAt: t.field({
      type: 'DateTime',
      required: false,
      description:
        'When the key should stop working. Omit it for the server\'s default expiry (180 days unless an administrator changed it); pass null explicitly for the longest expiry the server allows. Must be in the future and within the server\'s maximum.',
    }),
  }),
});

builder.mutationField('createOctopusApiKey', (t) =>
  t.field({
    extensions: { createLimit: true },
    type: CreateApiKeyPayload,
    description:
      'Creates an Octopus API key and returns its secret, once. Never retried automatically: if the response is lost, check `apiKeys` before trying again.',
    args: { input: t.arg({ type: CreateOctopusApiKeyInput, required: true }) },
    resolve: async (_root, { input }, { loaders }) => {
      const client = loaders.octopus();
      const userId = input.userId ?? (await loaders.currentOctopusUser()).id;
      const created = await client.createKey({
        userId,
        purpose: input.purpose.trim(),
        // Absent and null differ on the wire (contracts/octopus.md 3.1): keep them apart. GraphQL has
        // no explicit undefined, so undefined means "left out".
        expires: input.expiresAt,
      });
      loaders.forgetOctopusUser(userId);
      return created;
    },
  }),
);
