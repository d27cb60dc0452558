import { PROVIDERS, type Provider } from '../upstream/errors.js';
import type { OctopusUser } from '../upstream/octopus.js';
import { ApiKeyProvider } from './api-key.js';
import { builder } from './builder.js';

const OctopusUserType = builder.objectRef<OctopusUser>('OctopusUser').implement({
  description: 'An Octopus Deploy user.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The Octopus user id, e.g. `Users-1`: what `octopusUserId` and `userId` take.' }),
    username: t.exposeString('username', { description: 'The login name.' }),
    displayName: t.exposeString('displayName', { description: 'The name people see.' }),
  }),
});

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
      description: 'Whether the gateway talks to this provider at all (Octopus needs OCTOPUS_URL).',
    }),
    hasCredential: t.exposeBoolean('hasCredential', {
      description:
        'Whether this request has a credential for it: its own header (X-Octopus-ApiKey / X-Hyperstack-Api-Key) or the gateway\'s. Without one, that provider\'s part of every answer is UNAUTHENTICATED.',
    }),
  }),
});

const Viewer = builder.objectRef<Record<string, never>>('Viewer').implement({
  description: 'Who this request acts as, at each provider.',
  fields: (t) => ({
    providers: t.field({
      type: [ProviderStatusType],
      description: 'Each provider, whether the gateway serves it and whether this request has a credential for it.',
      resolve: (_viewer, _args, { loaders }) =>
        PROVIDERS.map((provider) => ({
          provider,
          configured: loaders.isConfigured(provider),
          hasCredential: loaders.hasCredential(provider),
        })),
    }),
    octopusUser: t.field({
      type: OctopusUserType,
      nullable: true,
      description:
        'The Octopus user the Octopus credential belongs to (whose keys `apiKeys` lists by default); null when Octopus is not configured or there is no credential. Remembered per credential for a minute.',
      resolve: (_viewer, _args, { loaders }) =>
        loaders.hasCredential('OCTOPUS') ? loaders.currentOctopusUser() : null,
    }),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({
    type: Viewer,
    description: 'Who this request acts as: the providers it can reach and the Octopus user behind its credential.',
    resolve: () => ({}),
  }),
);
