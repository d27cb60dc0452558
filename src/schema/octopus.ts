import type { OctopusApiKey, OctopusUser } from '../domain.js';
import { ApiKey, CreateApiKeyPayload, keyName } from './api-key.js';
import { audited } from './audited.js';
import { builder } from './builder.js';
import { accountName, octopusUserId } from './ids.js';

export const OctopusUserType = builder.objectRef<OctopusUser>('OctopusUser').implement({
  description: 'An Octopus Deploy user or service account.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The Octopus user id, e.g. `Users-1`: what `octopusUserId` and `userId` take.' }),
    username: t.exposeString('username', { description: 'The login name.' }),
    displayName: t.exposeString('displayName', { description: 'The name people see.' }),
    isService: t.exposeBoolean('isService', {
      nullable: true,
      description: 'Whether it is a service account (keys for machines); null where the server does not say.',
    }),
  }),
});

const OctopusAccessLevel = builder.enumType('OctopusAccessLevel', {
  description: 'What an Octopus key may do. Octopus 2026+ states it; before that every key has full access.',
  values: {
    FULL_ACCESS: { description: 'Everything its user can do.' },
    READ_ONLY: { description: 'Only reads.' },
    CUSTOM: { description: 'A custom set of permissions, spaces, projects or environments.' },
  } as const,
});

const OctopusActorType = builder.enumType('OctopusActorType', {
  description: 'Who an Octopus key is for (Octopus 2026+).',
  values: {
    USER: { description: 'A person or their scripts.' },
    AI_AGENT: { description: 'An AI agent (its own rate-limit policy at the server).' },
  } as const,
});

export const OctopusApiKeyType = builder.objectRef<OctopusApiKey>('OctopusApiKey').implement({
  description: 'An Octopus Deploy API key. It belongs to an Octopus user and acts with that user\'s permissions; it expires at `expiresAt`.',
  interfaces: [builder.nodeInterfaceRef(), ApiKey],
  isTypeOf: (value) => (value as { provider?: unknown }).provider === 'OCTOPUS',
  fields: (t) => ({
    purpose: t.exposeString('purpose', { description: 'The purpose given when the key was created (same as `name`).' }),
    userId: t.exposeID('userId', { description: 'The Octopus user the key belongs to, e.g. `Users-1`.' }),
    accessLevel: t.field({
      type: OctopusAccessLevel,
      nullable: true,
      description:
        'What the key may do. FULL_ACCESS on servers before access levels (before 2026), where every key can do all its user can. Null for a level this version does not know, and in a create\'s answer, which carries none even on an older server (the next read shows it).',
      resolve: (key) => key.accessLevel,
    }),
    actorType: t.field({
      type: OctopusActorType,
      nullable: true,
      description: 'Who the key is for; null where the server does not say (before 2026).',
      resolve: (key) => key.actorType,
    }),
    owner: t.field({
      type: OctopusUserType,
      nullable: true,
      description:
        'The user or service account the key belongs to. Known without a call for the credential\'s own user and in instance-wide lists (`octopusUsers: ALL`); otherwise one call per distinct user.',
      resolve: (key, _args, { apiKeys }) => apiKeys.owner(key),
    }),
  }),
});

const CreateOctopusApiKeyInput = builder.inputType('CreateOctopusApiKeyInput', {
  description: 'A new Octopus API key.',
  fields: (t) => ({
    account: t.string({
      required: false,
      description: 'The Octopus account to create it at (see `viewer.accounts`). Required when there are several.',
      validate: accountName('account'),
    }),
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
    actorType: t.field({
      type: OctopusActorType,
      required: false,
      description: 'Who the key is for (Octopus 2026+); sent only when given, so the server default (USER) applies otherwise.',
    }),
  }),
});

builder.mutationField('createOctopusApiKey', (t) =>
  t.field({
    type: CreateApiKeyPayload,
    nullable: true,
    extensions: { createLimit: true, auditProvider: 'OCTOPUS' },
    description:
      'Creates an Octopus API key and returns its secret, once. Counts against the create rate limit. Never retried automatically: when the outcome is unknown the error says `mayHaveCreated`; check `apiKeys` before trying again.',
    args: { input: t.arg({ type: CreateOctopusApiKeyInput, required: true }) },
    resolve: audited(({ input }, { apiKeys }) => apiKeys.createOctopusKey(input)),
  }),
);
