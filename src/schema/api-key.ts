import type { API_KEY_RISKS} from '../domain.js';
import { ageDays, descriptionOf, expiresAtOf, lastUsedAtOf, nameOf, risksOf, type Account, type ApiKeyRecord, type CreatedKey, type Provider } from '../domain.js';
import { apiKeyGlobalId, TYPENAMES } from '../services/key-ids.js';
import { audited } from './audited.js';
import { builder } from './builder.js';
import { oneLine } from './text.js';

export const ApiKeyProvider = builder.enumType('ApiKeyProvider', {
  description: 'Where an API key lives.',
  values: {
    OCTOPUS: { description: 'Octopus Deploy: keys of a user, `/api/users/{userId}/apikeys`.' },
    HYPERSTACK: { description: 'Hyperstack (NexGen Cloud Infrahub): keys of the account, `/v1/api-key`.' },
  } as const,
});

export const ApiKeyRisk = builder.enumType('ApiKeyRisk', {
  description: 'Something about a key that needs attention, judged from the provider\'s data and the gateway\'s policy (`viewer.policy`).',
  values: {
    EXPIRED: { description: 'Its expiry has passed: anything still using it fails.' },
    EXPIRING_SOON: { description: 'It expires within `policy.expiryWarningDays` (EXPIRY_WARNING_DAYS).' },
    NEVER_EXPIRES: { description: 'It has no expiry: every Hyperstack key, and an Octopus key created without one.' },
    OLDER_THAN_POLICY: { description: 'It was created more than `policy.maxKeyAgeDays` ago (MAX_KEY_AGE_DAYS): due for rotation.' },
    UNUSED: {
      description:
        'Octopus only, where the server reports last use: not used for `policy.unusedDays` (UNUSED_DAYS), or never used and older than that.',
    },
    FULL_ACCESS: { description: 'An Octopus key that can do everything its user can: its access level is full access, or its server predates access levels (before 2026), where every key can.' },
  } satisfies Record<(typeof API_KEY_RISKS)[number], { description: string }>,
});

export const AccountType = builder.objectRef<Account>('Account').implement({
  description: 'One provider base URL plus the credential keygate holds there, under a short name. Never shows the credential.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The account\'s name: `default` for the one configured by environment variables, else its KEYGATE_CONFIG name.' }),
    provider: t.field({ type: ApiKeyProvider, description: 'The provider it is an account at.', resolve: (a) => a.provider }),
    host: t.exposeString('host', { description: 'The host of its base URL, e.g. `octopus.example.com`.' }),
  }),
});

export const ApiKey = builder.interfaceRef<ApiKeyRecord>('ApiKey').implement({
  description:
    'An API key at either provider. Query the common fields here; use `... on OctopusApiKey` or `... on HyperstackApiKey` for the rest. The secret itself is never readable: it is returned once, by the mutation that creates the key.',
  interfaces: [builder.nodeInterfaceRef()],
  resolveType: (key) => TYPENAMES[key.provider],
  fields: (t) => ({
    id: t.id({
      description: 'Opaque global id (provider, account and the provider\'s own reference). Pass it to `node`, `apiKey` or a mutation.',
      resolve: apiKeyGlobalId,
    }),
    provider: t.expose('provider', { type: ApiKeyProvider, description: 'The provider that holds this key.' }),
    account: t.field({
      type: AccountType,
      description: 'The account it was read through.',
      resolve: (key, _args, { loaders }) => loaders.upstreams.find(key.provider, key.account)!.account,
    }),
    providerKeyId: t.exposeString('id', {
      description: 'The provider\'s own id of the key: `apikeys-…` at Octopus, a number such as `"42"` at Hyperstack.',
    }),
    name: t.string({ description: 'What the key is for: the Octopus purpose or the Hyperstack name.', resolve: nameOf }),
    description: t.string({ nullable: true, description: 'The Hyperstack description; always null for Octopus, which has none.', resolve: descriptionOf }),
    createdAt: t.expose('createdAt', { type: 'DateTime', nullable: true, description: 'When the key was created (UTC).' }),
    expiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the key stops working (UTC); null when it never expires (every Hyperstack key; an Octopus key created without expiry). See `risks`.',
      resolve: expiresAtOf,
    }),
    lastUsedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description:
        'When the key was last used, where the provider says (Octopus 2026+); null when never used or unknown, and always for Hyperstack, which does not tell.',
      resolve: lastUsedAtOf,
    }),
    keyHint: t.exposeString('keyHint', {
      nullable: true,
      description: 'The part of the secret the provider still shows, to recognise a key: Octopus the first 8 characters (`API-ABCD`), Hyperstack the last 4.',
    }),
    ageDays: t.int({
      nullable: true,
      description: 'Whole days since the key was created; null when the creation time is unknown.',
      resolve: (key, _args, { apiKeys }) => ageDays(key, apiKeys.now),
    }),
    risks: t.field({
      type: [ApiKeyRisk],
      description: 'What needs attention about this key under the gateway\'s policy (`viewer.policy`); empty when nothing does. Costs no upstream call.',
      resolve: (key, _args, { apiKeys }) => risksOf(key, apiKeys.policy, apiKeys.now),
    }),
    usedByGateway: t.boolean({
      description:
        'Whether this is the key keygate itself uses for its account (its configured credential). Revoking it locks keygate out: `deleteApiKey` refuses it unless confirmed.',
      resolve: (key, _args, { apiKeys }) => apiKeys.usedByGateway(key),
    }),
  }),
});

builder.queryField('apiKey', (t) =>
  t.field({
    type: ApiKey,
    nullable: true,
    description: 'One API key by its global id; null when it does not exist or the id is not an API key id.',
    args: { id: t.arg.id({ required: true, description: 'The `id` of a key, as returned by `apiKeys`.' }) },
    resolve: (_root, { id }, { apiKeys }) => apiKeys.get(id),
  }),
);

// ---------------------------------------------------------------------------------------------
// Payloads shared by both providers' mutations, and deleteApiKey.

/**
 * Names and purposes: not blank, one line of printable text, and bounded so a huge string never
 * reaches a provider. (A NUL would also be a name keygate's PostgreSQL store cannot hold.)
 */
export const keyName = (what: string) =>
  oneLine(what, 200).refine((s) => s.replace(/[\s\p{Cf}]/gu, '').length > 0, `${what} must not be blank (spaces and invisible characters only).`);

export const CreateApiKeyPayload = builder.objectRef<CreatedKey>('CreateApiKeyPayload').implement({
  description: 'A newly created key and its secret.',
  fields: (t) => ({
    apiKey: t.field({ type: ApiKey, description: 'The new key.', resolve: (payload) => payload.apiKey }),
    secret: t.exposeString('secret', {
      description: 'The full secret. This is the only time it is shown: neither the provider nor keygate can show it again, so store it now.',
    }),
  }),
});

export const UpdateApiKeyPayload = builder.objectRef<{ apiKey: ApiKeyRecord }>('UpdateApiKeyPayload').implement({
  description: 'A key after a change.',
  fields: (t) => ({ apiKey: t.field({ type: ApiKey, description: 'The key as it is now.', resolve: (p) => p.apiKey }) }),
});

const DeleteApiKeyPayload = builder.objectRef<{ deletedId: string; provider: Provider }>('DeleteApiKeyPayload').implement({
  description: 'A revoked key.',
  fields: (t) => ({
    deletedId: t.exposeID('deletedId', { description: 'The global id of the key that no longer exists.' }),
    provider: t.field({ type: ApiKeyProvider, description: 'The provider that revoked it.', resolve: (p) => p.provider }),
  }),
});

const DeleteApiKeyInput = builder.inputType('DeleteApiKeyInput', {
  description: 'Which key to revoke.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The global `id` of the key (either provider).' }),
    confirmRevokeGatewayCredential: t.boolean({
      required: false,
      description:
        'Revoke it even if it is the key keygate itself uses (`usedByGateway`). Without this, that revocation is refused with FORBIDDEN, because it would lock keygate out of the account.',
    }),
  }),
});

builder.mutationField('deleteApiKey', (t) =>
  t.field({
    type: DeleteApiKeyPayload,
    nullable: true,
    description:
      'Revokes a key at whichever provider holds it. Anything using the key stops working. Fails with NOT_FOUND when the key does not exist (for example, already revoked), and with FORBIDDEN for the key keygate itself uses unless `confirmRevokeGatewayCredential` is true.',
    args: { input: t.arg({ type: DeleteApiKeyInput, required: true }) },
    resolve: audited(({ input }, { apiKeys }) => apiKeys.deleteKey(input)),
  }),
);
