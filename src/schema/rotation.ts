import type { Rotation } from '../store/index.js';
import { keyGlobalId, rotationGlobalId, type RotateResult } from '../services/rotation.js';
import { AccountType, ApiKey, ApiKeyProvider } from './api-key.js';
import { audited, besideData } from './audited.js';
import { builder } from './builder.js';
import { connectionType } from './connection.js';

const RotationState = builder.enumType('RotationState', {
  description: 'Where a rotation stands.',
  values: {
    PENDING_CREATE: { description: 'The replacement is being made (or a crash left it unsettled; keygate settles it).' },
    OVERLAP: { description: 'Both keys work; the old one is revoked at `revokeOldAt`.' },
    NEEDS_ATTENTION: {
      description: 'A person must decide: the old key was used after the rotation began (Octopus), the new key\'s secret never reached the client that asked (`lastError` UNDELIVERED: revoke the new key), or revoking the old one failed for good (`lastError`). Complete or cancel it.',
    },
    COMPLETED: { description: 'The old key is revoked.' },
    CANCELLED: { description: 'Both keys were kept.' },
    FAILED: { description: 'No replacement was handed out (`lastError` says why: ORPHAN_REVOKED when one made with no one holding its secret was revoked; REPLACEMENT_UNCERTAIN when a key of its name, possibly someone\'s own, was left in place; UNSETTLED when keygate had no credential of its own to look for one with; DELIVERED_UNRECORDED when one was handed out but never recorded, and is kept: see the audit trail); the old key is untouched.' },
  } as const,
});

const RotationType = builder.objectRef<Rotation>('Rotation').implement({
  description: 'A key rotation: a replacement minted, an overlap while consumers move, then the old key revoked.',
  fields: (t) => ({
    id: t.id({ description: 'Pass it to `completeRotation` or `cancelRotation`.', resolve: rotationGlobalId }),
    provider: t.field({ type: ApiKeyProvider, description: 'The provider of both keys.', resolve: (r) => r.provider }),
    account: t.field({
      type: AccountType,
      nullable: true,
      description: 'The account; null if it is no longer configured.',
      resolve: (r, _args, { loaders }) => loaders.upstreams.find(r.provider, r.account)?.account ?? null,
    }),
    state: t.field({ type: RotationState, description: 'Where it stands.', resolve: (r) => r.state }),
    oldKeyId: t.id({ description: 'The global id of the key being replaced.', resolve: (r) => keyGlobalId(r.provider, r.account, r.oldKeyId) }),
    oldKeyName: t.exposeString('oldKeyName', { description: 'Its name or purpose when the rotation began.' }),
    oldKeyHint: t.exposeString('oldKeyHint', { nullable: true, description: 'Its hint.' }),
    newKeyId: t.id({
      nullable: true,
      description: 'The global id of the replacement, once it exists.',
      resolve: (r) => (r.newKeyId ? keyGlobalId(r.provider, r.account, r.newKeyId) : null),
    }),
    newKeyHint: t.exposeString('newKeyHint', { nullable: true, description: 'The replacement\'s hint.' }),
    overlapSeconds: t.exposeInt('overlapSeconds', { description: 'How long both keys work once the replacement exists.' }),
    revokeOldAt: t.field({ type: 'DateTime', nullable: true, description: 'When the old key is (or was) due to be revoked.', resolve: (r) => r.revokeOldAt }),
    oldKeyUsedAt: t.field({ type: 'DateTime', nullable: true, description: 'When the old key was seen in use after the rotation began.', resolve: (r) => r.oldKeyUsedAt }),
    attempts: t.exposeInt('attempts', { description: 'Revocation attempts so far.' }),
    lastError: t.exposeString('lastError', { nullable: true, description: 'The code of the last failure (`UPSTREAM_TIMEOUT`, `OLD_KEY_IN_USE`, …).' }),
    startedBy: t.exposeString('startedBy', { description: 'Who started it, as in audit events.' }),
    createdAt: t.field({ type: 'DateTime', description: 'When it began.', resolve: (r) => r.createdAt }),
    updatedAt: t.field({ type: 'DateTime', description: 'Its last step.', resolve: (r) => r.updatedAt }),
  }),
});

const RotationConnection = connectionType('Rotation', RotationType, { items: 'rotations', order: 'newest first' });

builder.queryField('rotations', (t) =>
  t.field({
    type: RotationConnection,
    description: 'Key rotations, newest first: pass `states: [PENDING_CREATE, OVERLAP, NEEDS_ATTENTION]` for those still under way.',
    args: {
      first: t.arg.int({ required: false, description: 'At most this many (default 50, at most 500).' }),
      after: t.arg.string({ required: false, description: 'Start after this cursor.' }),
      states: t.arg({ type: [RotationState], required: false, description: 'Only rotations in these states.' }),
    },
    resolve: (_root, args, { rotations }) => rotations.list(args),
  }),
);

const RotateApiKeyInput = builder.inputType('RotateApiKeyInput', {
  description: 'Which key to rotate, and how long both keys may work.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The global `id` of the key to replace.' }),
    revokeOldAfter: t.int({
      required: true,
      description:
        'Seconds both keys work once the replacement exists; 0 revokes the old key at once. At most ROTATION_MAX_OVERLAP_S (30 days). Above 0 only on accounts with a configured credential, never with one the request brought (keygate never stores a credential for later).',
    }),
    confirmRevokeGatewayCredential: t.boolean({
      required: false,
      description: 'Rotate it even if it is the key keygate itself uses (`usedByGateway`): revoking the old one then locks keygate out until its configuration gets the new key.',
    }),
  }),
});

const RotateApiKeyPayload = builder.objectRef<RotateResult>('RotateApiKeyPayload').implement({
    description: 'The replacement, its secret, and when the old key goes.',
    fields: (t) => ({
      apiKey: t.field({ type: ApiKey, description: 'The new key.', resolve: (p) => p.apiKey }),
      secret: t.exposeString('secret', { description: 'The new key\'s full secret. This is the only time it is shown: store it now.' }),
      oldKeyRevokesAt: t.field({ type: 'DateTime', description: 'When the old key is (or was) revoked.', resolve: (p) => p.oldKeyRevokesAt }),
      rotation: t.field({ type: RotationType, description: 'The rotation, to follow, complete or cancel.', resolve: (p) => p.rotation }),
    }),
  });

builder.mutationFields((t) => ({
  rotateApiKey: t.field({
    type: RotateApiKeyPayload,
    nullable: true,
    extensions: { createLimit: true },
    description:
      'Replaces a key without an outage: mints a new key (Octopus: same purpose and lifetime; Hyperstack: the old key is renamed `<name> (rotated <date>)` and the new one takes its name and description), returns its secret once, and revokes the old key after `revokeOldAfter` seconds, once across a fleet. An Octopus old key seen in use after the rotation began is not revoked silently: the rotation waits for a person (NEEDS_ATTENTION). Counts against the create rate limit.',
    args: { input: t.arg({ type: RotateApiKeyInput, required: true }) },
    resolve: audited(async ({ input }, context, info) => {
      const result = await context.rotations.rotate(input);
      besideData(context, info, result.problems);
      return result;
    }),
  }),
  completeRotation: t.field({
    type: RotationType,
    nullable: true,
    description:
      "Revokes the old key of a rotation now, even one seen in use (a person decided). Fails with the provider's code when the old key was not revoked (the rotation records it: OVERLAP while the scheduler retries, else NEEDS_ATTENTION). A rotation made with a request's own credential needs one again.",
    args: { id: t.arg.id({ required: true, description: 'The rotation\'s `id`.' }) },
    resolve: audited(({ id }, { rotations }) => rotations.complete(id)),
  }),
  cancelRotation: t.field({
    type: RotationType,
    nullable: true,
    description: 'Keeps the old key: the rotation ends and both keys stay (revoke one yourself when you choose).',
    args: { id: t.arg.id({ required: true, description: 'The rotation\'s `id`.' }) },
    resolve: audited(({ id }, { rotations }) => rotations.cancel(id)),
  }),
}));
