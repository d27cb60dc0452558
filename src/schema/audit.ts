import { z } from 'zod';
import { badUserInput, fromStore, gatewayError } from '../errors.js';
import { keyGlobalId } from '../services/rotation.js';
import { keyRef, parseApiKeyId } from '../services/key-ids.js';
import type { AuditEvent } from '../store/index.js';
import { ApiKeyProvider } from './api-key.js';
import { builder } from './builder.js';
import { connectionType } from './connection.js';

const AuditEventType = builder.objectRef<AuditEvent>('AuditEvent').implement({
  description: 'One thing done to a key through keygate: who, what, which key, and how it ended. Holds hints, never a secret.',
  fields: (t) => ({
    id: t.id({ description: 'The event\'s id in the trail.', resolve: (e) => `AuditEvent:${e.id}` }),
    at: t.field({ type: 'DateTime', description: 'When it happened.', resolve: (e) => e.at }),
    requestId: t.exposeString('requestId', { nullable: true, description: 'The request it was part of (X-Request-Id), to find its log line.' }),
    client: t.exposeString('client', {
      description: 'Who: `client:<token name>`, `client:jwt:<subject>`, `ip:<address>` without client authentication, or `keygate:scheduler` for a delayed revocation.',
    }),
    operation: t.exposeString('operation', { description: 'The mutation (`createOctopusApiKey`, `rotateApiKey`, …) or background job (`scheduledRevoke`).' }),
    provider: t.field({ type: ApiKeyProvider, nullable: true, description: 'The provider; null when the operation was refused before it named one.', resolve: (e) => e.provider }),
    account: t.exposeString('account', { nullable: true, description: 'The account, where there was one.' }),
    keyId: t.id({
      nullable: true,
      description: 'The global id of the key it was about (it may be revoked since).',
      resolve: (e) => (e.provider && e.account && e.keyId ? keyGlobalId(e.provider, e.account, e.keyId) : null),
    }),
    keyName: t.exposeString('keyName', { nullable: true, description: 'The key\'s name or purpose at the time.' }),
    keyHint: t.exposeString('keyHint', { nullable: true, description: 'What the provider shows of the secret: Octopus the first 8 characters, Hyperstack the last 4.' }),
    outcome: t.exposeString('outcome', { description: '`OK`, or the error code it ended with (`CONFLICT`, `RATE_LIMITED`, …).' }),
    detail: t.exposeString('detail', { nullable: true, description: 'A short note, e.g. `rotation 12` or `refused before it ran`.' }),
  }),
});

const AuditEventConnection = connectionType('AuditEvent', AuditEventType, { items: 'audit events', order: 'newest first' });

const AuditEventFilter = builder.inputType('AuditEventFilter', {
  description: 'Narrows `auditEvents`. All given conditions must hold.',
  fields: (t) => ({
    provider: t.field({ type: ApiKeyProvider, required: false, description: 'Only events at this provider.' }),
    keyId: t.id({ required: false, description: 'Only events about this key (its global id, as `apiKeys` and the events give it).' }),
    client: t.string({ required: false, description: 'Only events of this client, exactly as `client` shows it.', validate: z.string().max(200) }),
    operation: t.string({ required: false, description: 'Only this operation, e.g. `deleteApiKey`.', validate: z.string().max(64) }),
    since: t.field({ type: 'DateTime', required: false, description: 'Only events at or after this moment.' }),
    until: t.field({ type: 'DateTime', required: false, description: 'Only events before this moment.' }),
  }),
});

builder.queryField('auditEvents', (t) =>
  t.field({
    type: AuditEventConnection,
    description:
      'The audit trail: every mutation through keygate (refused ones too) and every delayed revocation, newest first. Kept AUDIT_RETENTION_DAYS (365). Behind the same client authentication as everything else.',
    args: {
      first: t.arg.int({ required: false, description: 'At most this many events (default 50, at most 500).' }),
      after: t.arg.string({ required: false, description: 'Start after this cursor.' }),
      filter: t.arg({ type: AuditEventFilter, required: false, description: 'Which events.' }),
    },
    resolve: async (_root, { first, after, filter }, { auditEvents }) => {
      if (!auditEvents) throw gatewayError('SERVICE_UNAVAILABLE', 'This gateway runs without a store, so it keeps no audit trail.');
      let keyFilter: { keyId?: string; account?: string; provider?: 'OCTOPUS' | 'HYPERSTACK' } = {};
      if (filter?.keyId) {
        const id = parseApiKeyId(filter.keyId);
        if (!id) throw badUserInput('`filter.keyId` is not the id of an API key.', { field: 'filter.keyId' });
        keyFilter = { provider: id.provider, account: id.account, keyId: keyRef(id) };
      }
      return fromStore(() =>
        auditEvents.list({
          first,
          after,
          filter: {
            provider: filter?.provider ?? undefined,
            client: filter?.client ?? undefined,
            operation: filter?.operation ?? undefined,
            since: filter?.since ?? undefined,
            until: filter?.until ?? undefined,
            ...keyFilter,
          },
        }),
      );
    },
  }),
);
