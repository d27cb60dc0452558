import { PROVIDERS, type Policy, type Provider } from '../domain.js';
import type { AccountRuntime } from '../upstream/upstreams.js';
import { AccountType, ApiKeyProvider } from './api-key.js';
import { builder } from './builder.js';
import { OctopusUserType } from './octopus.js';

interface ProviderStatus {
  provider: Provider;
  configured: boolean;
  hasCredential: boolean;
}

const ProviderStatusType = builder.objectRef<ProviderStatus>('ProviderStatus').implement({
  description: 'Whether this gateway serves a provider, and whether this request can act there.',
  fields: (t) => ({
    provider: t.field({ type: ApiKeyProvider, description: 'The provider.', resolve: (s) => s.provider }),
    configured: t.exposeBoolean('configured', {
      description: 'Whether the gateway has any account at this provider. A provider without one is left out of every list and its mutations fail.',
    }),
    hasCredential: t.exposeBoolean('hasCredential', {
      description:
        'Whether this request has a credential for at least one of its accounts: its own header (X-Octopus-ApiKey, X-Hyperstack-Api-Key or X-Hyperstack-Access-Token, for the `default` account) or the gateway\'s. Without one, that provider\'s part of every answer is UNAUTHENTICATED.',
    }),
  }),
});

const ViewerAccount = builder.objectRef<AccountRuntime>('ViewerAccount').implement({
  description: 'One account of the gateway, as this request sees it.',
  fields: (t) => ({
    account: t.field({ type: AccountType, description: 'The account.', resolve: (r) => r.account }),
    reachable: t.boolean({
      description: 'Whether this request has a credential for it (its own header for `default`, or the gateway\'s).',
      resolve: (r, _args, { loaders }) => loaders.hasCredential(r),
    }),
    octopusUser: t.field({
      type: OctopusUserType,
      nullable: true,
      description: 'For an Octopus account: the user its credential belongs to (whose keys lists show by default); null for Hyperstack or without a credential.',
      resolve: (r, _args, { loaders, apiKeys }) =>
        r.account.provider === 'OCTOPUS' && loaders.hasCredential(r) ? apiKeys.currentOctopusUser(r) : null,
    }),
  }),
});

const PolicyType = builder.objectRef<Policy>('Policy').implement({
  description: 'The gateway\'s governance thresholds behind `ApiKey.risks`, so a frontend can say "expires within 30 days".',
  fields: (t) => ({
    expiryWarningDays: t.exposeInt('expiryWarningDays', { description: 'EXPIRING_SOON: expires within this many days (EXPIRY_WARNING_DAYS).' }),
    maxKeyAgeDays: t.exposeInt('maxKeyAgeDays', { description: 'OLDER_THAN_POLICY: created more than this many days ago (MAX_KEY_AGE_DAYS).' }),
    unusedDays: t.exposeInt('unusedDays', { description: 'UNUSED: not used for this many days (UNUSED_DAYS).' }),
  }),
});

const Viewer = builder.objectRef<Record<string, never>>('Viewer').implement({
  description: 'Who this request acts as: the providers and accounts it can reach, and the policy keys are judged by.',
  fields: (t) => ({
    providers: t.field({
      type: [ProviderStatusType],
      description: 'Each provider, whether the gateway serves it and whether this request has a credential for it.',
      resolve: (_viewer, _args, { loaders }) =>
        PROVIDERS.map((provider) => {
          const accounts = loaders.accounts(provider);
          return { provider, configured: accounts.length > 0, hasCredential: accounts.some((a) => loaders.hasCredential(a)) };
        }),
    }),
    accounts: t.field({
      type: [ViewerAccount],
      description: 'Every account of the gateway, with whether this request can reach it. Never shows a credential.',
      resolve: (_viewer, _args, { loaders }) => [...loaders.accounts()],
    }),
    octopusUser: t.field({
      type: OctopusUserType,
      nullable: true,
      description:
        'The Octopus user the credential of the first Octopus account belongs to (whose keys `apiKeys` lists by default); null when no Octopus account is configured or there is no credential. See `accounts` for every account. Remembered per credential for a minute.',
      resolve: (_viewer, _args, { loaders, apiKeys }) => {
        const runtime = loaders.accounts('OCTOPUS')[0];
        return runtime && loaders.hasCredential(runtime) ? apiKeys.currentOctopusUser(runtime) : null;
      },
    }),
    policy: t.field({
      type: PolicyType,
      description: 'The thresholds behind `ApiKey.risks`.',
      resolve: (_viewer, _args, { apiKeys }) => apiKeys.policy,
    }),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({
    type: Viewer,
    description: 'Who this request acts as: the providers and accounts it can reach, the Octopus user behind its credential, and the policy.',
    resolve: () => ({}),
  }),
);
