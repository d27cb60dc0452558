// The request-scoped service behind every API-key field: the merged list (sources, filters, order,
// cursors, summary) and every write with the cache invalidation it needs. Resolvers call it and
// stay a few lines; it calls the sessions in upstream/loaders.ts and never builds a URL.
import {
  PROVIDERS,
  lastUsedAtOf,
  nameOf,
  providerNames,
  type Account,
  type ApiKeyRecord,
  type ApiKeyRisk,
  type CreatedKey,
  type HyperstackApiKey,
  type OctopusActorType,
  type OctopusApiKey,
  type OctopusUser,
  type Policy,
  type Provider,
} from '../domain.js';
import { badUserInput, gatewayError, mayHaveCreated } from '../errors.js';
import { mayHaveTakenEffect, UpstreamError } from '../upstream/errors.js';
import type { CallBudget, HyperstackSession, OctopusSession, RequestLoaders } from '../upstream/loaders.js';
import { mapBounded } from '../upstream/octopus-walk.js';
import type { AccountRuntime } from '../upstream/upstreams.js';
import type { RequestAudit } from './audit.js';
import type { CreateGate } from './create-gate.js';
import { apiKeyGlobalId, keyRef, parseApiKeyId, type ApiKeyId } from './key-ids.js';
import { Edge, selectWindow, sortedOf, sortedWindow, type Paging } from './key-window.js';
import {
  DEFAULT_ORDER,
  fromCursor,
  matches,
  matchesSearch,
  needsWholeList,
  summarize,
  toCursor,
  type KeyFilter,
  type KeyOrder,
  type WalkStart,
  type KeySummary,
  type Position,
} from './key-order.js';

export type OctopusUserScope = 'SELF' | 'ALL';

export interface ListFilterInput {
  providers?: readonly Provider[] | null;
  accounts?: readonly string[] | null;
  octopusUserId?: string | null;
  octopusUsers?: OctopusUserScope | null;
  search?: string | null;
  risks?: readonly ApiKeyRisk[] | null;
  expiresBefore?: Date | null;
  createdBefore?: Date | null;
}

export interface ListInput {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
  filter?: ListFilterInput | null;
  orderBy?: KeyOrder | null;
  /** The caller will need the whole list anyway (a summary): read it once rather than a page first. */
  wholeList?: boolean;
}

export interface KeyPage {
  edges: { cursor: string; node: ApiKeyRecord }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
  unavailableProviders: Provider[];
  unavailableAccounts: Account[];
  /** Counts over the whole filtered list; read only when asked for (it may need the whole list). */
  summary(report: FailureReport): Promise<KeySummary>;
}

/** Where a source failed: reported as an error beside the data, naming provider, account and user. */
export interface SourceFailure {
  error: UpstreamError;
  account: Account;
  octopusUserId?: string;
}
export type FailureReport = (failure: SourceFailure) => void;

const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;
const INSTANCE_WALK_PARALLELISM = 4;

/** One account's share of a list. */
interface Source {
  runtime: AccountRuntime;
  /**
   * The top of the list in the default order, `take` keys and the total: cheap where the provider
   * pages for us. 'whole' when only the whole list can answer.
   */
  top(take: number, needle: string | undefined): Promise<{ items: ApiKeyRecord[]; total: number } | 'whole'>;
  /** Every key (the search text is a server-side hint; callers filter anyway). */
  all(needle: string | undefined, report: FailureReport): Promise<ApiKeyRecord[]>;
  /** How many keys `all` held when last read, if known: the weight its memory is admitted with. */
  size(needle: string | undefined): Promise<number | undefined>;
}

export class ApiKeyService {
  /** One instant per request, so every key's risks are judged at the same moment. */
  readonly now = Date.now();
  private readonly wholeLists = new Map<string, Promise<WholeList & { failures: SourceFailure[] }>>();

  constructor(
    private readonly loaders: RequestLoaders,
    readonly policy: Policy,
    private readonly audit?: RequestAudit,
    /** Whether a create may still start (client there, no shutdown); without one, always. */
    readonly gate?: CreateGate,
  ) {}

  // ---------------------------------------------------------------------------------------------
  // Reads

  /** Loads one key by global id; null when the id is not one of ours or nothing has it. */
  get(globalId: string): Promise<ApiKeyRecord | null> | null {
    const id = parseApiKeyId(globalId);
    const runtime = id && this.loaders.upstreams.find(id.provider, id.account);
    if (!id || !runtime) return null;
    return id.provider === 'OCTOPUS' ? this.loaders.octopus(runtime).key(id.userId, id.id) : this.loaders.hyperstack(runtime).key(id.id);
  }

  async list(input: ListInput, report: FailureReport): Promise<KeyPage> {
    // The arguments first: a bad cursor, page size or account must cost no upstream call.
    const order = input.orderBy ?? DEFAULT_ORDER;
    const paging = pagingOf(input);
    const after = input.after ? cursorArg(input.after, order, 'after') : undefined;
    const before = input.before ? cursorArg(input.before, order, 'before') : undefined;
    const filter = filterOf(input.filter);
    const sources = this.sources(input.filter ?? {});
    // Each account costs at least one call: past the budget, refuse before the first is made.
    this.loaders.budget.reserve(sources.length, `the key lists of ${sources.length} accounts`);
    const wholeKey = JSON.stringify(input.filter ?? {});

    const lazy =
      !input.wholeList &&
      order.field === DEFAULT_ORDER.field &&
      order.direction === DEFAULT_ORDER.direction &&
      !after &&
      !before &&
      paging.forward &&
      !needsWholeList(filter) &&
      input.filter?.octopusUsers !== 'ALL';
    const failures: SourceFailure[] = [];
    const page = lazy
      ? await this.topPage(sources, paging.size, filter, failures)
      : await this.holding(sources, filter, async () => {
          const whole = await this.wholeList(wholeKey, sources, filter, failures);
          const walk: KeyOrder = order.field === 'LAST_USED_AT' ? { ...order, asOf: after?.asOf ?? before?.asOf ?? latestUse(whole) } : order;
          return this.window(whole, `${wholeKey}|${walk.field}:${walk.direction}@${JSON.stringify(walk.asOf ?? null)}`, filter, walk, paging, after, before);
        });
    for (const failure of failures) report(failure);

    const failedAccounts = uniqueAccounts(failures);
    return {
      ...page,
      unavailableProviders: PROVIDERS.filter((p) => failedAccounts.some((a) => a.provider === p)),
      unavailableAccounts: failedAccounts,
      summary: async (reportSummary) => {
        const whole: SourceFailure[] = [];
        const summary = await this.holding(sources, filter, async () => summarize((await this.wholeList(wholeKey, sources, filter, whole)).keys, this.policy, this.now));
        // Failures the page already reported are not repeated.
        for (const failure of whole) if (!failures.some((f) => sameFailure(f, failure))) reportSummary(failure);
        return summary;
      },
    };
  }

  /** The Octopus user behind this request's credential for an account. */
  currentOctopusUser(runtime: AccountRuntime): Promise<OctopusUser> {
    return this.loaders.octopus(runtime).me();
  }

  /** Who owns an Octopus key: from what the request already read, else one GET per distinct user. */
  owner(key: OctopusApiKey): Promise<OctopusUser | null> | null {
    const runtime = this.loaders.upstreams.find('OCTOPUS', key.account);
    return runtime ? this.loaders.octopus(runtime).user(key.userId) : null;
  }

  /**
   * Whether a key is the one keygate's own configured credential for its account is: revoking it
   * would lock keygate out. Octopus by the credential's first 8 characters against the hints of its
   * own user's keys, Hyperstack by the last 4.
   */
  async usedByGateway(key: ApiKeyRecord): Promise<boolean> {
    // Its answer holds a secret, which a failing lookup below would null with it; and a key made
    // now cannot be the credential keygate started with.
    if (justMade.has(key)) return false;
    const runtime = this.loaders.upstreams.find(key.provider, key.account);
    const credential = runtime?.config.apiKey;
    if (!runtime || !credential || !key.keyHint) return false;
    if (key.provider === 'HYPERSTACK') return credential.endsWith(key.keyHint) && key.keyHint.length === 4;
    if (!credential.startsWith(key.keyHint) || key.keyHint.length < 8) return false;
    const gatewayUser = await this.loaders.configuredOctopusUser(runtime);
    return gatewayUser.id === key.userId;
  }

  // ---------------------------------------------------------------------------------------------
  // Writes: each forgets what it changed, for the rest of this request and for later ones.

  async createOctopusKey(input: {
    account?: string | null;
    userId?: string | null;
    purpose: string;
    expiresAt?: Date | null;
    actorType?: OctopusActorType | null;
  }): Promise<CreatedKey> {
    const runtime = this.accountFor('OCTOPUS', input.account);
    if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
      // Octopus refuses it too (contracts/octopus.md 3.1), but only after keygate has asked it to make a key.
      throw badUserInput('expiresAt must be in the future.', { field: 'expiresAt' });
    }
    const session = this.loaders.octopus(runtime);
    const purpose = input.purpose.trim();
    this.audit?.note({ provider: 'OCTOPUS', account: runtime.account.name, keyName: purpose });
    const userId = input.userId ?? (await session.me()).id;
    const created = await creating(purpose, this.gate, () =>
      session.create('creating an Octopus key', (client) =>
        // Absent and null differ on the wire (contracts/octopus.md 3.1): undefined means "left out".
        client.createKey({ userId, purpose, expires: input.expiresAt, actorType: input.actorType ?? undefined }),
      ),
    );
    session.forget(userId);
    this.noteCreated(created);
    return created;
  }

  async generateHyperstackKey(input: { account?: string | null; name: string; description?: string | null }): Promise<CreatedKey> {
    const runtime = this.accountFor('HYPERSTACK', input.account);
    const session = this.loaders.hyperstack(runtime);
    const name = input.name.trim();
    this.audit?.note({ provider: 'HYPERSTACK', account: runtime.account.name, keyName: name });
    const created = await creating(name, this.gate, () =>
      session.create('generating a Hyperstack key', (client) => client.generateKey({ name, description: input.description ?? null })),
    );
    session.forget();
    this.noteCreated(created);
    return created;
  }

  /** A partial update: a field left out (undefined) keeps its value; Hyperstack wants both, so the other is read first. */
  async updateHyperstackKey(input: { id: string; name?: string | null; description?: string | null }): Promise<HyperstackApiKey> {
    const id = requireId(input.id);
    if (id.provider !== 'HYPERSTACK') {
      throw badUserInput('Only Hyperstack keys can be renamed; Octopus keys cannot be changed after creation.', { field: 'id' });
    }
    // GraphQL has no explicit undefined: undefined is "left out", null is "given as null".
    if (input.name === null) throw badUserInput('name cannot be null: leave it out to keep the current name.', { field: 'name' });
    const session = this.loaders.hyperstack(this.accountFor('HYPERSTACK', id.account));
    this.audit?.note({ provider: 'HYPERSTACK', account: id.account, keyId: id.id, keyName: input.name ?? undefined });
    const hasDescription = input.description !== undefined;
    let name = input.name?.trim();
    let description = hasDescription ? input.description || null : undefined;
    if (name === undefined || !hasDescription) {
      // Only when a field is left out do we need its current value: one list call.
      const current = await session.key(id.id);
      if (!current) throw gatewayError('NOT_FOUND', `Hyperstack has no API key with id ${id.id}.`, 'HYPERSTACK');
      if (name === undefined && !hasDescription) return current;
      name ??= current.name;
      if (!hasDescription) description = current.description;
    }
    const updated = await session.write('renaming a Hyperstack key', (client) =>
      client.updateKey(id.id, { name: name!, description: description ?? null }),
    );
    // Later reads in this request (a second partial update of the same key, say) see the change.
    session.forget();
    return updated;
  }

  /**
   * Revokes a key at whichever provider holds it. The key keygate itself uses is refused unless the
   * caller confirms: revoking it locks keygate out, with no way back from inside keygate.
   */
  async deleteKey(input: { id: string; confirmRevokeGatewayCredential?: boolean | null }): Promise<{ deletedId: string; provider: Provider; key: ApiKeyId }> {
    const id = requireId(input.id);
    const runtime = this.accountFor(id.provider, id.account);
    this.audit?.note({ provider: id.provider, account: id.account, keyId: keyRef(id) });
    const known = input.confirmRevokeGatewayCredential ? null : await this.guardGatewayCredential(runtime, id, 'Revoking it');
    // The guard's read names the key in the audit trail; no read is added only for that.
    if (known) this.audit?.note({ keyName: nameOf(known), keyHint: known.keyHint });
    if (id.provider === 'OCTOPUS') {
      const session = this.loaders.octopus(runtime);
      await session.write('revoking an Octopus key', (client) => client.deleteKey(id.userId, id.id));
      session.forget(id.userId);
    } else {
      const session = this.loaders.hyperstack(runtime);
      await session.write('revoking a Hyperstack key', (client) => client.deleteKey(id.id));
      session.forget();
    }
    return { deletedId: input.id, provider: id.provider, key: id };
  }

  // ---------------------------------------------------------------------------------------------

  /** The account a write acts on: the named one, or the provider's only account. */
  accountFor(provider: Provider, name: string | null | undefined): AccountRuntime {
    const runtimes = this.loaders.accounts(provider);
    if (runtimes.length === 0) {
      throw gatewayError(
        'UPSTREAM_UNAVAILABLE',
        `${providerNames[provider]} is not configured on this gateway (${provider === 'OCTOPUS' ? 'set OCTOPUS_URL' : 'set HYPERSTACK_API_KEY'}, or add an account in KEYGATE_CONFIG).`,
        provider,
      );
    }
    const names = runtimes.map((r) => `"${r.account.name}"`).join(', ');
    if (name === null || name === undefined) {
      if (runtimes.length === 1) return runtimes[0]!;
      throw badUserInput(`${providerNames[provider]} has several accounts here; name one in \`account\`: ${names}.`, { field: 'account' });
    }
    const runtime = runtimes.find((r) => r.account.name === name);
    if (!runtime) throw badUserInput(`${providerNames[provider]} has no account "${name}" here; the accounts are ${names}.`, { field: 'account' });
    return runtime;
  }

  /** The audit trail learns which key a create made (its id and hint: never the secret). */
  private noteCreated({ apiKey }: CreatedKey): void {
    this.audit?.note({ keyId: keyRef(apiKey), keyHint: apiKey.keyHint });
  }

  /** A global id of a key, or BAD_USER_INPUT. */
  requireId(globalId: string): ApiKeyId {
    return requireId(globalId);
  }

  /**
   * Refuses an action that ends with the key keygate itself uses being revoked (it would lock keygate
   * out of the account) unless the caller confirmed it. `action` starts the explanation. Returns the
   * key when it had to read it (so the caller can name it), null when no read was needed.
   */
  async guardGatewayCredential(runtime: AccountRuntime, id: ApiKeyId, action: string): Promise<ApiKeyRecord | null> {
    const credential = runtime.config.apiKey;
    if (!credential) return null;
    let key: ApiKeyRecord | null;
    if (id.provider === 'OCTOPUS') {
      // Only a key of the gateway's own user can be its credential: no read for anyone else's.
      const gatewayUser = await this.loaders.configuredOctopusUser(runtime);
      if (gatewayUser.id !== id.userId) return null;
      key = await this.loaders.octopus(runtime).key(id.userId, id.id);
    } else {
      key = await this.loaders.hyperstack(runtime).key(id.id);
    }
    if (key && (await this.usedByGateway(key))) {
      throw gatewayError(
        'FORBIDDEN',
        `This is the key keygate itself uses for ${providerNames[id.provider]} account "${runtime.account.name}". ${action} locks keygate out of that account until its configuration gets a new key. To go ahead anyway, pass confirmRevokeGatewayCredential: true.`,
        id.provider,
        // Machine-readable, so a client tells this refusal from a provider's own 403.
        { reason: 'GATEWAY_CREDENTIAL', account: runtime.account.name },
      );
    }
    return key;
  }

  /** The accounts a list reads, each as a source; accounts left out by the filter are not called. */
  private sources(filter: ListFilterInput): Source[] {
    if (filter.octopusUsers === 'ALL' && filter.octopusUserId != null) {
      // Reading every user while naming one would answer with everybody's keys to a client asking for one user's.
      throw badUserInput('octopusUserId names one user; it cannot be combined with octopusUsers: ALL (every user).', { field: 'filter.octopusUserId' });
    }
    const providers = filter.providers ?? PROVIDERS;
    let runtimes = this.loaders.accounts().filter((r) => providers.includes(r.account.provider));
    if (filter.accounts) {
      const known = new Set(this.loaders.accounts().map((r) => r.account.name));
      const unknown = filter.accounts.filter((name) => !known.has(name));
      if (unknown.length > 0) {
        throw badUserInput(`No account named ${unknown.map((n) => `"${n}"`).join(', ')}; the accounts are ${[...known].map((n) => `"${n}"`).join(', ')}.`, {
          field: 'filter.accounts',
        });
      }
      runtimes = runtimes.filter((r) => filter.accounts!.includes(r.account.name));
    }
    return runtimes.map((runtime) =>
      runtime.account.provider === 'OCTOPUS'
        ? filter.octopusUsers === 'ALL'
          ? instanceSource(runtime, this.loaders.octopus(runtime), this.loaders.budget)
          : userSource(runtime, this.loaders.octopus(runtime), filter.octopusUserId ?? undefined)
        : hyperstackSource(runtime, this.loaders.hyperstack(runtime), this.loaders.upstreams.lists.caching),
    );
  }

  /** The first page in the default order, reading from each account only what that page needs. */
  private async topPage(sources: Source[], take: number, filter: KeyFilter, failures: SourceFailure[]) {
    const tops = await Promise.all(
      sources.map(async (source) => {
        const found: SourceFailure[] = [];
        try {
          const top = await source.top(take, filter.needle);
          if (top !== 'whole') return { ...top, found };
          const all = (await source.all(filter.needle, (f) => found.push(f))).filter((k) => !filter.needle || matchesSearch(k, filter.needle));
          return { items: all, total: all.length, found };
        } catch (error) {
          return { items: [], total: 0, found: [...found, failureOf(error, source.runtime)] };
        }
      }),
    );
    // Reported in the order of the accounts, whichever answered first.
    for (const top of tops) failures.push(...top.found);
    const merged = selectWindow(
      tops.flatMap((t) => t.items),
      DEFAULT_ORDER,
      { forward: true, size: take },
    ).page;
    const totalCount = tops.reduce((sum, t) => sum + t.total, 0);
    return {
      edges: merged.map((entry) => new Edge(entry, DEFAULT_ORDER)),
      pageInfo: pageInfoOf(merged, DEFAULT_ORDER, totalCount > merged.length, false),
      totalCount,
    };
  }

  /**
   * Runs work over whole lists once the process can hold them: admitted by the heavy-list limiter
   * with the keys the sources had when last read (unknown: it runs alone), for the read, the merge
   * and the sort, so the memory a whole list takes is counted for as long as it is built.
   */
  private async holding<T>(sources: Source[], filter: KeyFilter, work: () => Promise<T>): Promise<T> {
    const sizes = await Promise.all(sources.map((source) => source.size(filter.needle).catch(() => 0)));
    const weight = sizes.some((size) => size === undefined) ? undefined : sizes.reduce<number>((sum, size) => sum + size!, 0);
    return this.loaders.heavy(weight, work);
  }

  /** Every key of every source, filtered (memoised per request for the page and the summary). */
  private wholeList(key: string, sources: Source[], filter: KeyFilter, failures: SourceFailure[]): Promise<WholeList> {
    let entry = this.wholeLists.get(key);
    if (!entry) {
      entry = (async () => {
        const read = await Promise.all(
          sources.map(async (source) => {
            const found: SourceFailure[] = [];
            try {
              return { keys: await source.all(filter.needle, (f) => found.push(f)), found };
            } catch (error) {
              return { keys: [] as ApiKeyRecord[], found: [...found, failureOf(error, source.runtime)] };
            }
          }),
        );
        const lists = read.map((l) => l.keys);
        const keys: ApiKeyRecord[] = [];
        for (const list of lists) for (const k of list) if (matches(k, filter, this.policy, this.now)) keys.push(k);
        // Reported in the order of the accounts, whichever answered first.
        return { lists, keys, failures: read.flatMap((l) => l.found) };
      })();
      this.wholeLists.set(key, entry);
    }
    return entry.then((whole) => {
      failures.push(...whole.failures);
      return whole;
    });
  }

  /**
   * One page of a whole list in an order, between the cursors. Lists from the shared cache are
   * sorted once and paged by binary search; otherwise one pass keeps only the page. A risk filter
   * depends on the moment, so its result is never kept past the request.
   */
  private window(whole: WholeList, variant: string, filter: KeyFilter, order: KeyOrder, paging: Paging, after?: Position, before?: Position) {
    const w =
      this.loaders.upstreams.lists.caching && !filter.risks?.length
        ? sortedWindow(
            sortedOf(whole.lists, variant, order, (k) => matches(k, filter, this.policy, this.now)),
            order,
            paging,
            after,
            before,
          )
        : selectWindow(whole.keys, order, paging, after, before);
    const more = w.inWindow > w.page.length;
    return {
      edges: w.page.map((entry) => new Edge(entry, order)),
      pageInfo: pageInfoOf(w.page, order, paging.forward ? more : w.outsideAfter, paging.forward ? w.outsideBefore : more),
      totalCount: whole.keys.length,
    };
  }
}

/** A whole list as read: each source's list (shared across requests while cached), and the filtered keys. */
interface WholeList {
  lists: ApiKeyRecord[][];
  keys: ApiKeyRecord[];
}

/**
 * The latest last use in each account of a list: that provider's own clock at the read (keygate's
 * call bumped its key's), where a LAST_USED_AT walk starts (KeyOrder.asOf). keygate's clock, or one
 * moment for every account, would do only if the servers' clocks agreed: a key on a server behind
 * would stay below it and move from page to page.
 */
function latestUse(whole: WholeList): WalkStart | undefined {
  const latest: Record<string, number> = {};
  let any = false;
  for (const list of whole.lists) {
    for (const key of list) {
      const used = lastUsedAtOf(key)?.getTime();
      if (used === undefined || (latest[key.account] ?? -Infinity) >= used) continue;
      latest[key.account] = used;
      any = true;
    }
  }
  return any ? latest : undefined;
}

// ---------------------------------------------------------------------------------------------
// Sources

/** One Octopus user's keys (the credential's own user by default): pages from the top where it can. */
function userSource(runtime: AccountRuntime, session: OctopusSession, userId: string | undefined): Source {
  const user = () => {
    const id = userId !== undefined ? Promise.resolve(userId) : session.me().then((me) => me.id);
    session.intend(id);
    return id;
  };
  return {
    runtime,
    async top(take, needle) {
      // One more than asked: a creation time shared across the page boundary needs the whole list to
      // order it the same way every time (ties are broken by id, which Octopus does not do).
      const page = await session.firstPage(await user(), take + 1, needle);
      // An older server ignores partialPurpose: then only the whole list, filtered here, is right.
      if (needle && page.items.some((key) => !matchesSearch(key, needle))) return 'whole';
      const [last, next] = [page.items[take - 1], page.items[take]];
      if (next && (!last?.createdAt || !next.createdAt || last.createdAt.getTime() === next.createdAt.getTime())) return 'whole';
      return { items: page.items.slice(0, take), total: page.total };
    },
    async all(needle) {
      return session.allKeys(await user(), needle);
    },
    async size(needle) {
      return session.knownSize(await user(), needle);
    },
  };
}

/**
 * Every user and service account of an Octopus instance: the users list, then each user's keys with
 * a bounded number of requests in flight. A user whose keys cannot be read is a failure naming that
 * user; the rest of the list stays.
 */
function instanceSource(runtime: AccountRuntime, session: OctopusSession, budget: CallBudget): Source {
  return {
    runtime,
    top: async () => 'whole',
    async all(needle, report) {
      const users = await session.allUsers();
      // At least one call per user: known now, so refused before any key list is read.
      budget.reserve(users.length, `the key lists of ${users.length} users of Octopus account "${runtime.account.name}"`);
      const lists = await mapBounded(users, INSTANCE_WALK_PARALLELISM, (user) =>
        session.allKeys(user.id, needle).catch((error: unknown) => {
          if (!(error instanceof UpstreamError)) throw error;
          report({ error, account: runtime.account, octopusUserId: user.id });
          return [] as OctopusApiKey[];
        }),
      );
      const keys = lists.flat();
      // Per search text: a search's few matches must not make the whole list look small.
      session.noteSize(`every user's keys|${needle ?? ''}`, keys.length);
      return keys;
    },
    size: async (needle) => session.sizeOf(`every user's keys|${needle ?? ''}`),
  };
}

function hyperstackSource(runtime: AccountRuntime, session: HyperstackSession, caching: boolean): Source {
  return {
    runtime,
    async top(take, needle) {
      // Hyperstack has no paging: the top of its whole list, from the sorted copy kept beside a
      // cached list, else in one pass.
      const all = await session.keys();
      const keep = (key: ApiKeyRecord) => !needle || matchesSearch(key, needle);
      if (caching) {
        const sorted = sortedOf([all], `top|${needle ?? ''}`, DEFAULT_ORDER, keep);
        return { items: sorted.slice(0, take).map((entry) => entry.node), total: sorted.length };
      }
      const keys = needle ? all.filter(keep) : all;
      return { items: selectWindow(keys, DEFAULT_ORDER, { forward: true, size: take }).page.map((entry) => entry.node), total: keys.length };
    },
    all: () => session.keys(),
    size: async () => session.knownSize(),
  };
}

// ---------------------------------------------------------------------------------------------
// Arguments

function pagingOf(input: ListInput): Paging {
  for (const arg of ['first', 'last'] as const) {
    const value = input[arg];
    if (value !== null && value !== undefined && (value < 0 || value > MAX_PAGE)) {
      throw badUserInput(`\`${arg}\` must be between 0 and ${MAX_PAGE}.`, { field: arg });
    }
  }
  if (input.first != null && input.last != null) throw badUserInput('Pass `first` or `last`, not both.', { field: 'last' });
  if (input.last != null) return { forward: false, size: input.last };
  return { forward: true, size: input.first ?? DEFAULT_PAGE };
}

function cursorArg(cursor: string, order: KeyOrder, arg: string): Position & { asOf?: WalkStart } {
  const position = fromCursor(cursor, order);
  if (position === 'other-order') {
    throw badUserInput(`\`${arg}\` is a cursor of another order; pass the same orderBy as the page it came from.`, { field: arg });
  }
  if (position === 'malformed' || !parseApiKeyId(position.id)) {
    throw badUserInput(`\`${arg}\` is not a cursor returned by apiKeys.`, { field: arg });
  }
  return position;
}

function filterOf(input: ListFilterInput | null | undefined): KeyFilter {
  return {
    needle: input?.search ? input.search.toLowerCase() : undefined,
    risks: input?.risks ?? undefined,
    expiresBefore: input?.expiresBefore ?? undefined,
    createdBefore: input?.createdBefore ?? undefined,
  };
}

function requireId(globalId: string): ApiKeyId {
  const parsed = parseApiKeyId(globalId);
  if (!parsed) throw badUserInput('`id` is not the id of an API key. Use the `id` of a key returned by `apiKeys`.', { field: 'id' });
  return parsed;
}

function pageInfoOf(page: readonly Position[], order: KeyOrder, hasNextPage: boolean, hasPreviousPage: boolean) {
  return {
    hasNextPage,
    hasPreviousPage,
    startCursor: page.length > 0 ? toCursor(page[0]!, order) : null,
    endCursor: page.length > 0 ? toCursor(page[page.length - 1]!, order) : null,
  };
}

function failureOf(error: unknown, runtime: AccountRuntime): SourceFailure {
  // Anything but a provider's failure (a spent call budget, a full heavy-list queue) is the whole
  // operation's: it fails the field rather than one account.
  if (!(error instanceof UpstreamError)) throw error;
  return { error, account: runtime.account };
}

function sameFailure(a: SourceFailure, b: SourceFailure): boolean {
  return a.account === b.account && a.octopusUserId === b.octopusUserId && a.error.code === b.error.code;
}

function uniqueAccounts(failures: SourceFailure[]): Account[] {
  return [...new Set(failures.map((f) => f.account))];
}

/** The records of keys just made, as their create answered them: see usedByGateway. */
const justMade = new WeakSet<ApiKeyRecord>();

/**
 * Runs a create; a failure after the provider may have acted says so, so no secret is silently lost.
 * The gate is asked first: a create that may not start now is refused before any call.
 */
export async function creating(name: string, gate: CreateGate | undefined, create: () => Promise<CreatedKey>): Promise<CreatedKey> {
  gate?.check();
  try {
    const created = await create();
    gate?.madeKey();
    justMade.add(created.apiKey);
    return created;
  } catch (error) {
    // A 4xx is the provider refusing: nothing was made. Otherwise the key may exist.
    if (error instanceof UpstreamError && mayHaveTakenEffect(error)) throw mayHaveCreated(error, name);
    throw error;
  }
}

export { apiKeyGlobalId };
