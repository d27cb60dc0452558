import { PothosValidationError, parseCursorConnectionArgs } from '@pothos/core';
import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import { responsePathAsArray, type GraphQLResolveInfo } from 'graphql';
import { z } from 'zod';
import type { GatewayContext } from '../context.js';
import { badUserInput, upstreamToGraphQLError } from '../errors.js';
import { PROVIDERS, UpstreamError, type Provider } from '../upstream/errors.js';
import type { ApiKeyRecord } from '../upstream/loaders.js';
import { builder } from './builder.js';
import { TYPENAMES, apiKeyGlobalId, octopusUserId, parseApiKeyId, requireApiKeyId } from './ids.js';

export const ApiKeyProvider = builder.enumType('ApiKeyProvider', {
  description: 'Where an API key lives.',
  values: {
    OCTOPUS: { description: 'Octopus Deploy: keys of a user, `/api/users/{userId}/apikeys`.' },
    HYPERSTACK: { description: 'Hyperstack (NexGen Cloud Infrahub): keys of the account, `/v1/api-key`.' },
  } as const,
});

/** The common name: the Octopus purpose or the Hyperstack name. */
const nameOf = (key: ApiKeyRecord): string => (key.provider === 'OCTOPUS' ? key.purpose : key.name);
/** Only Hyperstack keys have a description. */
const descriptionOf = (key: ApiKeyRecord): string | null => (key.provider === 'HYPERSTACK' ? key.description : null);

export const ApiKey = builder.interfaceRef<ApiKeyRecord>('ApiKey').implement({
  description:
    'An API key at either provider. Query the common fields here; use `... on OctopusApiKey` or `... on HyperstackApiKey` for the rest. The secret itself is never readable: it is returned once, by the mutation that creates the key.',
  interfaces: [builder.nodeInterfaceRef()],
  resolveType: (key) => TYPENAMES[key.provider],
  fields: (t) => ({
    id: t.id({
      description: 'Opaque global id. Pass it to `node`, `apiKey`, `updateHyperstackApiKey` or `deleteApiKey`.',
      resolve: apiKeyGlobalId,
    }),
    provider: t.field({ type: ApiKeyProvider, description: 'The provider that holds this key.', resolve: (key) => key.provider }),
    providerKeyId: t.exposeString('id', {
      description: 'The provider\'s own id of the key: `apikeys-…` at Octopus, a number such as `"42"` at Hyperstack.',
    }),
    name: t.string({
      description: 'What the key is for: the Octopus purpose or the Hyperstack name.',
      resolve: nameOf,
    }),
    description: t.string({
      nullable: true,
      description: 'The Hyperstack description; always null for Octopus, which has none.',
      resolve: descriptionOf,
    }),
    createdAt: t.field({ type: 'DateTime', nullable: true, description: 'When the key was created (UTC).', resolve: (key) => key.createdAt }),
    expiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When an Octopus key stops working (UTC); null for Hyperstack, whose keys do not expire.',
      resolve: (key) => (key.provider === 'OCTOPUS' ? key.expiresAt : null),
    }),
    lastUsedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description:
        'When the key was last used, where the provider says (Octopus 2026+); null when never used or unknown, and always for Hyperstack, which does not tell.',
      resolve: (key) => (key.provider === 'OCTOPUS' ? key.lastUsedAt : null),
    }),
    keyHint: t.string({
      nullable: true,
      description:
        'The part of the secret the provider still shows, to recognise a key: Octopus the first 8 characters (`API-ABCD`), Hyperstack the last 4.',
      resolve: (key) => key.keyHint,
    }),
  }),
});

/** Loads one key by global id; null when the id is not one of ours or the provider has no such key. */
export function loadApiKey(context: GatewayContext, globalId: string): Promise<ApiKeyRecord | null> | null {
  const id = parseApiKeyId(globalId);
  if (!id) return null;
  return id.provider === 'OCTOPUS'
    ? context.loaders.octopusKey({ userId: id.userId, id: id.id })
    : context.loaders.hyperstackKey(id.id);
}

builder.queryField('apiKey', (t) =>
  t.field({
    type: ApiKey,
    nullable: true,
    description: 'One API key by its global id; null when it does not exist or the id is not an API key id.',
    args: { id: t.arg.id({ required: true, description: 'The `id` of a key, as returned by `apiKeys`.' }) },
    resolve: (_root, { id }, context) => loadApiKey(context, id),
  }),
);

// ---------------------------------------------------------------------------------------------
// apiKeys: both providers merged into one connection.

const ApiKeyFilter = builder.inputType('ApiKeyFilter', {
  description: 'Narrows `apiKeys`. All given conditions must hold.',
  fields: (t) => ({
    providers: t.field({
      type: [ApiKeyProvider],
      required: false,
      description: 'Only keys of these providers (default: every provider the gateway is configured for). Providers left out are not called.',
    }),
    octopusUserId: t.id({
      required: false,
      description:
        'Whose Octopus keys to list, e.g. `Users-1`. Default: the user the Octopus credential belongs to (`GET /api/users/me`).',
      validate: octopusUserId('octopusUserId'),
    }),
    search: t.string({
      required: false,
      description: 'Case-insensitive text that the name or the description must contain.',
      validate: z.string().max(200, 'search must be at most 200 characters.'),
    }),
  }),
});

/** The merged order: newest first, keys without a creation date last, ties by global id. */
interface SortKey {
  createdAt: number | null;
  id: string;
}

function sortKey(key: ApiKeyRecord): SortKey {
  return { createdAt: key.createdAt ? key.createdAt.getTime() : null, id: apiKeyGlobalId(key) };
}

function compare(a: SortKey, b: SortKey): number {
  if (a.createdAt !== b.createdAt) {
    if (a.createdAt === null) return 1;
    if (b.createdAt === null) return -1;
    return b.createdAt - a.createdAt;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

// A cursor is the sort key of its key, not an offset: it stays valid when keys are added or removed,
// even when its own key is gone.
function toCursor(key: SortKey): string {
  return Buffer.from(`k1|${key.createdAt ?? ''}|${key.id}`).toString('base64url');
}

function fromCursor(cursor: string, arg: string): SortKey {
  const [version, createdAt, ...id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const joined = id.join('|');
  if (cursor.length > 600 || version !== 'k1' || createdAt === undefined || !/^-?\d*$/.test(createdAt) || !parseApiKeyId(joined)) {
    throw badUserInput(`\`${arg}\` is not a cursor returned by apiKeys.`, { field: arg });
  }
  return { createdAt: createdAt === '' ? null : Number(createdAt), id: joined };
}

/** One page of an in-memory sorted list, in the shape resolveCursorConnection asks for. */
function pageOf(
  sorted: { key: SortKey; record: ApiKeyRecord }[],
  args: ResolveCursorConnectionArgs,
  { after, before }: { after?: SortKey; before?: SortKey },
) {
  const window = sorted.filter(
    ({ key }) => (!after || compare(key, after) > 0) && (!before || compare(key, before) < 0),
  );
  return args.inverted ? window.slice(-args.limit).reverse() : window.slice(0, args.limit);
}

/** `needle` is the search text, lower-cased. */
function matches(key: ApiKeyRecord, needle: string): boolean {
  return nameOf(key).toLowerCase().includes(needle) || (descriptionOf(key)?.toLowerCase().includes(needle) ?? false);
}

/** Page size errors of the connection arguments, as BAD_USER_INPUT. */
function asUserInput<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof PothosValidationError) throw badUserInput(error.message);
    throw error;
  }
}

/** A provider that failed inside a field that still answers: reported as an error beside the data. */
function reportPartial(context: GatewayContext, info: GraphQLResolveInfo, error: unknown): Provider {
  if (!(error instanceof UpstreamError)) throw error;
  context.partialErrors.push(upstreamToGraphQLError(error, { nodes: info.fieldNodes, path: responsePathAsArray(info.path) }));
  return error.provider;
}

builder.queryField('apiKeys', (t) =>
  t.connection(
    {
      type: ApiKey,
      description:
        'Every API key you hold at both providers in one list, newest first (ties by id). Both providers are asked in parallel. If one fails, the keys of the other are still returned, with an error naming the missing provider (see also `unavailableProviders`).',
      args: {
        filter: t.arg({ type: ApiKeyFilter, required: false, description: 'Which keys to list.' }),
      },
      resolve: async (_root, args, context, info) => {
        // The arguments first: a bad cursor or page size must cost no upstream call.
        const paging = { args, defaultSize: 50, maxSize: 500 };
        asUserInput(() => parseCursorConnectionArgs(paging));
        const bounds = {
          after: args.after ? fromCursor(args.after, 'after') : undefined,
          before: args.before ? fromCursor(args.before, 'before') : undefined,
        };
        const filter = args.filter ?? {};
        const wanted = (filter.providers ?? PROVIDERS).filter((p) => context.loaders.isConfigured(p));
        const loads = PROVIDERS.map((provider): Promise<ApiKeyRecord[]> => {
          if (!wanted.includes(provider)) return Promise.resolve([]);
          return provider === 'OCTOPUS'
            ? context.loaders.octopusKeysOf(filter.octopusUserId ?? undefined)
            : context.loaders.hyperstackKeys();
        });
        const settled = await Promise.allSettled(loads);
        const unavailableProviders: Provider[] = [];
        const records: ApiKeyRecord[] = [];
        for (const result of settled) {
          if (result.status === 'fulfilled') records.push(...result.value);
          else unavailableProviders.push(reportPartial(context, info, result.reason));
        }
        const needle = filter.search?.toLowerCase();
        const sorted = (needle ? records.filter((record) => matches(record, needle)) : records)
          .map((record) => ({ key: sortKey(record), record }))
          .sort((a, b) => compare(a.key, b.key));
        const page = await resolveCursorConnection(
          { ...paging, toCursor: (entry) => toCursor(entry.key) },
          (pageArgs: ResolveCursorConnectionArgs) => pageOf(sorted, pageArgs, bounds),
        );
        return {
          ...page,
          edges: page.edges.map((edge) => ({ cursor: edge.cursor, node: edge.node.record })),
          totalCount: sorted.length,
          unavailableProviders,
        };
      },
    },
    {
      name: 'ApiKeyConnection',
      description: 'A page of API keys from both providers.',
      fields: (tc) => ({
        totalCount: tc.int({
          description: 'How many keys match the filter in all (across pages).',
          resolve: (connection) => connection.totalCount,
        }),
        unavailableProviders: tc.field({
          type: [ApiKeyProvider],
          description:
            'Providers whose keys are missing from this list because asking them failed; the errors of the response say why.',
          resolve: (connection) => connection.unavailableProviders,
        }),
      }),
    },
    { name: 'ApiKeyEdge', description: 'An API key and its position in `apiKeys`.' },
  ),
);

// ---------------------------------------------------------------------------------------------
// Payloads shared by both providers' mutations, and deleteApiKey.

/** Names and purposes: not blank, and bounded so a huge string never reaches a provider. */
export const keyName = (what: string) =>
  z
    .string()
    .refine((s) => s.trim().length > 0, `${what} must not be blank.`)
    .refine((s) => s.length <= 200, `${what} must be at most 200 characters.`);

export interface CreatedKey {
  apiKey: ApiKeyRecord;
  secret: string;
}

export const CreateApiKeyPayload = builder.objectRef<CreatedKey>('CreateApiKeyPayload').implement({
  description: 'A newly created key and its secret.',
  fields: (t) => ({
    apiKey: t.field({ type: ApiKey, description: 'The new key.', resolve: (payload) => payload.apiKey }),
    secret: t.exposeString('secret', {
      description:
        'The full secret. This is the only time it is shown: neither the provider nor keygate can show it again, so store it now.',
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
  }),
});

builder.mutationField('deleteApiKey', (t) =>
  t.field({
    type: DeleteApiKeyPayload,
    description:
      'Revokes a key at whichever provider holds it. Anything using the key stops working. Fails with NOT_FOUND when the key does not exist (for example, already revoked).',
    args: { input: t.arg({ type: DeleteApiKeyInput, required: true }) },
    resolve: async (_root, { input }, { loaders }) => {
      const id = requireApiKeyId(input.id);
      if (id.provider === 'OCTOPUS') {
        await loaders.octopus().deleteKey(id.userId, id.id);
        loaders.forgetOctopusUser(id.userId);
      } else {
        await loaders.hyperstack().deleteKey(id.id);
        loaders.forgetHyperstack();
      }
      return { deletedId: input.id, provider: id.provider };
    },
  }),
);
