import { z } from 'zod';
import { providerNames } from '../domain.js';
import { gatewayError } from '../errors.js';
import type { RevokedLeak } from '../services/leaked.js';
import { AccountType, ApiKey, ApiKeyProvider } from './api-key.js';
import { audited, besideData } from './audited.js';
import { builder } from './builder.js';
import { accountName } from './ids.js';

const RevokeLeakedSecretInput = builder.inputType('RevokeLeakedSecretInput', {
  description: 'A secret found where it should not be.',
  fields: (t) => ({
    secret: t.string({
      required: true,
      description: 'The leaked secret: an Octopus key (`API-…`) or a Hyperstack key (a UUID). Used only to find the key; never logged or stored.',
    }),
    accounts: t.stringList({
      required: false,
      description:
        'The accounts to look in, when you know where the key belongs. Only their servers then receive the secret, and only there is it revoked (a copy at another server, such as one restored from a backup, is not looked for); without it, every configured server of that provider is asked, since nothing else tells whose a key is. An unknown name, or an account of the other provider, is BAD_USER_INPUT before any call.',
      validate: z.array(accountName('input.accounts')).min(1, 'accounts names at least one account; leave it out to look everywhere.').max(100, 'accounts takes at most 100 names.'),
    }),
  }),
});

const RevokeLeakedSecretPayload = builder.objectRef<RevokedLeak>('RevokeLeakedSecretPayload').implement({
  description: 'The key a leaked secret belonged to, now revoked.',
  fields: (t) => ({
    provider: t.field({ type: ApiKeyProvider, description: 'Its provider.', resolve: (r) => r.provider }),
    account: t.field({ type: AccountType, description: 'The account it was found in.', resolve: (r) => r.account }),
    revokedKey: t.field({ type: ApiKey, description: 'The key as it was before it was revoked (id, name, hint).', resolve: (r) => r.apiKey }),
  }),
});

builder.mutationField('revokeLeakedSecret', (t) =>
  t.field({
    type: RevokeLeakedSecretPayload,
    nullable: true,
    // It tests a secret against the providers: limited like a create. (A forwarded credential on a
    // read tells a live key from a dead one too, unlimited: see the README.)
    extensions: { createLimit: true },
    description:
      'Revokes exactly the key a leaked secret belongs to, for a secret scanner. Octopus: the secret itself asks `/users/me` whose it is, then the key is matched by its hint in that user\'s keys. Hyperstack: the secret itself lists the keys it can see, and the key is matched there by its last 4 characters. Only a live secret revokes anything. Refuses, and changes nothing, when no key (NOT_FOUND) or more than one (CONFLICT) matches. The audit trail keeps the hint only. Counts against the create rate limit.',
    args: { input: t.arg({ type: RevokeLeakedSecretInput, required: true }) },
    resolve: audited(async ({ input }, context, info) => {
      const revoked = await context.leaked.revoke(input.secret, input.accounts ?? undefined);
      if (revoked.lockedOut.length > 0) {
        const accounts = revoked.lockedOut.map((name) => `"${name}"`).join(', ');
        const message = `This was keygate's own credential for ${providerNames[revoked.provider]} account ${accounts}: it is revoked, and keygate cannot reach that account until its configuration gets a new key.`;
        // What every later call to that account will say: its credential no longer works.
        besideData(context, info, [gatewayError('UNAUTHENTICATED', message, revoked.provider, { account: revoked.lockedOut[0] })]);
      }
      return revoked;
    }),
  }),
);
