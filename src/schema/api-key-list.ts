import { Kind, responsePathAsArray, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { z } from 'zod';
import type { GatewayContext } from '../context.js';
import type { ApiKeyRecord } from '../domain.js';
import { upstreamToGraphQLError } from '../errors.js';
import type { FailureReport, KeyPage } from '../services/api-keys.js';
import type { KeySummary } from '../services/key-order.js';
import { AccountType, ApiKey, ApiKeyProvider, ApiKeyRisk } from './api-key.js';
import { builder } from './builder.js';
import { accountName, octopusUserId } from './ids.js';
import { freeText } from './text.js';

const OctopusUserScope = builder.enumType('OctopusUserScope', {
  description: 'Whose Octopus keys a list reads.',
  values: {
    SELF: { description: 'The user the Octopus credential belongs to (or `octopusUserId`).' },
    ALL: {
      description:
        'Every user and service account of each Octopus account: the users list, then each user\'s keys (needs permission to view users). A user whose keys cannot be read is an error naming that user; the rest of the list stays. Reads whole lists.',
    },
  } as const,
});

const ApiKeyFilter = builder.inputType('ApiKeyFilter', {
  description: 'Narrows `apiKeys`. All given conditions must hold.',
  fields: (t) => ({
    providers: t.field({
      type: [ApiKeyProvider],
      required: false,
      description: 'Only keys of these providers (default: every provider the gateway serves). Providers left out are not called.',
    }),
    accounts: t.stringList({
      required: false,
      description: 'Only keys of the accounts with these names (see `viewer.accounts`). Accounts left out are not called.',
      validate: z.array(accountName('accounts')).max(100, 'accounts takes at most 100 names.'),
    }),
    octopusUserId: t.id({
      required: false,
      description:
        'Whose Octopus keys to list, e.g. `Users-1`, in every Octopus account read. Default: the user the account\'s credential belongs to (`GET /api/users/me`).',
      validate: octopusUserId('octopusUserId'),
    }),
    octopusUsers: t.field({
      type: OctopusUserScope,
      required: false,
      description: 'SELF (default) or ALL: every user and service account of the instance.',
    }),
    search: t.string({
      required: false,
      description: 'Case-insensitive text that the name or the description must contain. Octopus filters by purpose on the server.',
      validate: freeText('search', 200), // what a description may hold can be searched for
    }),
    risks: t.field({
      type: [ApiKeyRisk],
      required: false,
      description: 'Only keys with any of these risks. Needs the whole list (cheap again within LIST_CACHE_TTL_MS).',
    }),
    expiresBefore: t.field({
      type: 'DateTime',
      required: false,
      description: 'Only keys that expire before this moment (keys that never expire are left out). Needs the whole list.',
    }),
    createdBefore: t.field({
      type: 'DateTime',
      required: false,
      description: 'Only keys created before this moment. Needs the whole list.',
    }),
  }),
});

const ApiKeyOrderField = builder.enumType('ApiKeyOrderField', {
  description: 'What `apiKeys` can be ordered by.',
  values: {
    CREATED_AT: { description: 'Creation time. Newest first (DESC) is the default, and the only order read page by page from Octopus.' },
    EXPIRES_AT: { description: 'Expiry; keys that never expire sort last. Needs the whole list.' },
    LAST_USED_AT: {
      description:
        'Last use (Octopus 2026+); keys without it sort last. Needs the whole list. A use after the first page was read (keygate\'s own calls use its key on every page) sorts as the latest use that read saw, so a walk ends and a key used meanwhile shows at most once more (ascending) or may be passed over (descending).',
    },
    NAME: { description: 'Name, case-insensitive, by its first 256 characters (then by id). Needs the whole list.' },
  } as const,
});

const OrderDirection = builder.enumType('OrderDirection', {
  description: 'Which way an order runs.',
  values: { ASC: { description: 'Smallest or earliest first.' }, DESC: { description: 'Largest or latest first.' } } as const,
});

const ApiKeyOrder = builder.inputType('ApiKeyOrder', {
  description: 'An order for `apiKeys`. Keys with no value for the field sort last; ties are broken by id. Cursors belong to their order.',
  fields: (t) => ({
    field: t.field({ type: ApiKeyOrderField, required: true, description: 'What to order by.' }),
    direction: t.field({ type: OrderDirection, required: true, description: 'Which way.' }),
  }),
});

const ApiKeyEdge = builder.objectRef<KeyPage['edges'][number]>('ApiKeyEdge').implement({
  description: 'An API key and its position in `apiKeys`.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: 'Opaque position of this edge; pass it as `after` or `before` (with the same `orderBy`).' }),
    node: t.field({ type: ApiKey, description: 'The key at this position.', resolve: (edge) => edge.node }),
  }),
});

interface Counted<T> {
  key: T;
  count: number;
}

const ProviderCount = builder.objectRef<Counted<KeySummary['byProvider'][number]['provider']>>('ProviderKeyCount').implement({
  description: 'How many keys one provider holds in the list.',
  fields: (t) => ({
    provider: t.field({ type: ApiKeyProvider, description: 'The provider.', resolve: (c) => c.key }),
    count: t.exposeInt('count', { description: 'Its keys.' }),
  }),
});
const RiskCount = builder.objectRef<Counted<KeySummary['byRisk'][number]['risk']>>('RiskKeyCount').implement({
  description: 'How many keys of the list have one risk.',
  fields: (t) => ({
    risk: t.field({ type: ApiKeyRisk, description: 'The risk.', resolve: (c) => c.key }),
    count: t.exposeInt('count', { description: 'Keys with it.' }),
  }),
});
const AccountCount = builder.objectRef<{ account: { name: string; provider: 'OCTOPUS' | 'HYPERSTACK'; host: string }; count: number }>('AccountKeyCount').implement({
  description: 'How many keys of the list one account holds.',
  fields: (t) => ({
    account: t.field({ type: AccountType, description: 'The account.', resolve: (c) => c.account }),
    count: t.exposeInt('count', { description: 'Its keys.' }),
  }),
});

const ApiKeySummary = builder.objectRef<KeySummary>('ApiKeySummary').implement({
  description: 'Counts over the whole filtered list (not just the page), for a dashboard in one query. Costs no call beyond reading the list.',
  fields: (t) => ({
    totalCount: t.exposeInt('totalCount', { description: 'Keys in the filtered list.' }),
    byProvider: t.field({
      type: [ProviderCount],
      description: 'Keys per provider (every provider, zeros included).',
      resolve: (s) => s.byProvider.map((c) => ({ key: c.provider, count: c.count })),
    }),
    byRisk: t.field({
      type: [RiskCount],
      description: 'Keys per risk (every risk, zeros included); a key with two risks counts in both.',
      resolve: (s) => s.byRisk.map((c) => ({ key: c.risk, count: c.count })),
    }),
    byAccount: t.field({
      type: [AccountCount],
      description: 'Keys per account that has any in the list.',
      resolve: (s, _args, { loaders }) =>
        s.byAccount.map((c) => ({ account: loaders.upstreams.find(c.provider, c.account)!.account, count: c.count })),
    }),
  }),
});

/**
 * Whether the field's selection asks for a sub-field (through fragments too): a list that will need
 * the whole list for its summary reads it once, up front, instead of a page and then the whole.
 */
function selects(info: GraphQLResolveInfo, name: string): boolean {
  const seen = new Set<string>();
  const within = (set: SelectionSetNode | undefined): boolean =>
    set?.selections.some((selection) => {
      if (selection.kind === Kind.FIELD) return selection.name.value === name;
      if (selection.kind === Kind.INLINE_FRAGMENT) return within(selection.selectionSet);
      if (seen.has(selection.name.value)) return false;
      seen.add(selection.name.value);
      return within(info.fragments[selection.name.value]?.selectionSet);
    }) ?? false;
  return info.fieldNodes.some((node) => within(node.selectionSet));
}

/** Partial failures of a field that still answers, as errors beside the data. */
function reporter(context: GatewayContext, info: GraphQLResolveInfo): FailureReport {
  const location = { nodes: info.fieldNodes, path: responsePathAsArray(info.path) };
  return ({ error, account, octopusUserId }) =>
    context.partialErrors.push(upstreamToGraphQLError(error, location, { account: account.name, octopusUserId }));
}

const ApiKeyConnection = builder.objectRef<KeyPage>('ApiKeyConnection').implement({
  description: 'A page of API keys from every account read.',
  fields: (t) => ({
    edges: t.expose('edges', { type: [ApiKeyEdge], description: 'The keys of this page, each with its cursor.' }),
    nodes: t.field({
      type: [ApiKey],
      description: 'The keys of this page, without cursors: a shortcut for `edges { node }`.',
      resolve: (c): ApiKeyRecord[] => c.edges.map((e) => e.node),
    }),
    pageInfo: t.expose('pageInfo', {
      type: builder.pageInfoRef(),
      description: 'Where this page sits: whether more pages exist and the cursors to reach them.',
    }),
    totalCount: t.exposeInt('totalCount', {
      description: 'How many keys match the filter in all (across pages). In the default order without whole-list filters it comes from the providers\' own counts.',
    }),
    unavailableProviders: t.field({
      type: [ApiKeyProvider],
      description: 'Providers with an account whose keys are missing from this list because asking failed; the errors of the response say why.',
      resolve: (c) => c.unavailableProviders,
    }),
    unavailableAccounts: t.field({
      type: [AccountType],
      description: 'The accounts whose keys are missing from this list because asking failed; the errors name each one.',
      resolve: (c) => c.unavailableAccounts,
    }),
    summary: t.field({
      type: ApiKeySummary,
      description: 'Counts by provider, risk and account over the whole filtered list. Needs the whole list (cheap again within LIST_CACHE_TTL_MS).',
      resolve: (c, _args, context, info) => c.summary(reporter(context, info)),
    }),
  }),
});

builder.queryField('apiKeys', (t) =>
  t.field({
    type: ApiKeyConnection,
    description:
      'Every API key you hold, at every account of both providers, in one list: newest first unless `orderBy` says otherwise (ties by id). Accounts are asked in parallel; `first: n` in the default order reads only about n keys from each Octopus account. If an account fails, the keys of the others are still returned, with an error naming it (see also `unavailableAccounts`).',
    args: {
      first: t.arg.int({ required: false, description: 'Page forward: at most this many keys from the start (or after `after`). Default 50, at most 500.' }),
      after: t.arg.string({ required: false, description: 'Start after this cursor (an `endCursor` or edge `cursor`). Stays valid when keys are added or removed.' }),
      last: t.arg.int({ required: false, description: 'Page backward: at most this many keys from the end (or before `before`). Needs the whole list.' }),
      before: t.arg.string({ required: false, description: 'End before this cursor (a `startCursor` or edge `cursor`).' }),
      filter: t.arg({ type: ApiKeyFilter, required: false, description: 'Which keys to list.' }),
      orderBy: t.arg({ type: ApiKeyOrder, required: false, description: 'The order (default: CREATED_AT DESC, newest first).' }),
    },
    resolve: (_root, args, context, info) =>
      context.apiKeys.list({ ...args, wholeList: selects(info, 'summary') }, reporter(context, info)),
  }),
);
