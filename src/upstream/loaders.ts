import DataLoader from 'dataloader';
import { DEFAULT_ACCOUNT, providerNames, type HyperstackApiKey, type OctopusApiKey, type OctopusUser, type Provider } from '../domain.js';
import { UpstreamError } from './errors.js';
import type { UpstreamObserver } from './http.js';
import { HyperstackClient } from './hyperstack.js';
import { mapBounded, walkNewestFirst } from './octopus-walk.js';
import { OctopusClient, type Page } from './octopus.js';
import type { AccountRuntime, Upstreams } from './upstreams.js';

/** Credentials a request brought in its own headers; they act on the `default` account only. */
export interface ForwardedCredentials {
  octopus?: string;
  hyperstack?: string;
  hyperstackAccessToken?: string;
}

/** Raised when an operation would need more upstream calls than MAX_UPSTREAM_CALLS allows. */
export class CallBudgetExceeded extends Error {
  override readonly name = 'CallBudgetExceeded';
  constructor(
    readonly max: number,
    what: string,
  ) {
    super(`This operation needs more than ${max} upstream calls (${what}); ask for less in one operation, or raise MAX_UPSTREAM_CALLS.`);
  }
}

/** The upstream calls one GraphQL operation may still cause; counted before each call is made. */
export class CallBudget {
  private spent = 0;
  constructor(readonly max: number) {}

  /** Takes `calls` from the budget, or throws before anything is called. */
  spend(calls: number, what: string): void {
    if (this.spent + calls > this.max) throw new CallBudgetExceeded(this.max, what);
    this.spent += calls;
  }

  /** Refuses, before any of them is made, `calls` that are known in advance not to fit. */
  reserve(calls: number, what: string): void {
    if (this.spent + calls > this.max) throw new CallBudgetExceeded(this.max, what);
  }
}

interface SessionOptions {
  observer?: UpstreamObserver;
  budget: CallBudget;
  /** Runs whole-list work once admitted (RequestLoaders.heavy). */
  heavy: <T>(weight: number | undefined, work: () => Promise<T>) => Promise<T>;
  /** Every credential this request holds, for error-message redaction. */
  redact: readonly string[];
  /** Asked just before a create is sent (UpstreamRequest.beforeSend): throws when it may not be. */
  beforeCreate?: () => void;
  /** Asked just before any other call of the request is sent, each attempt: throws when it may not be. */
  beforeCall?: () => void;
  pageSize: number;
  maxKeys: number;
}

const WALK_PARALLELISM = 4;

/** What a create costs the call budget: itself, and the one lookup its answer may need. */
export const CREATE_CALLS = 2;

/**
 * Whether a request's forwarded credential acts on this account: the `default` account of the
 * environment variables only. KEYGATE_CONFIG's accounts use their own, even one named `default`.
 */
const takesForwarded = (runtime: AccountRuntime) => runtime.account.name === DEFAULT_ACCOUNT && !runtime.config.fromFile;

function missingCredential(runtime: AccountRuntime): UpstreamError {
  const { provider, name } = runtime.account;
  const how =
    takesForwarded(runtime)
      ? provider === 'OCTOPUS'
        ? 'set OCTOPUS_API_KEY on the gateway, or send an X-Octopus-ApiKey header'
        : 'set HYPERSTACK_API_KEY (or HYPERSTACK_ACCESS_TOKEN) on the gateway, or send an X-Hyperstack-Api-Key header'
      : `give the account an apiKeyFrom in KEYGATE_CONFIG`;
  return new UpstreamError(provider, 'UNAUTHENTICATED', `No ${providerNames[provider]} credential for account "${name}": ${how}.`);
}

/** Per-request memo: one promise per key for the life of the request. */
class Memo<T> {
  private readonly entries = new Map<string, Promise<T>>();
  get(key: string, load: () => Promise<T>): Promise<T> {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = load();
      this.entries.set(key, entry);
    }
    return entry;
  }
  deleteWhere(test: (key: string) => boolean): void {
    for (const key of this.entries.keys()) if (test(key)) this.entries.delete(key);
  }
}

/** Rejects instead of throwing synchronously, so callers can treat every failure alike. */
function attempt<T>(run: () => Promise<T>): Promise<T> {
  try {
    return run();
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Whose lists a session reads and shares across requests: an HMAC of the credential (never the
 * credential itself), and the account, since the records carry the account's name and two accounts
 * may point at one server with one credential.
 */
export function whoOf(upstreams: Upstreams, runtime: AccountRuntime, credential: string | undefined): string {
  return credential ? `${runtime.account.name}\u0000${upstreams.credentialKeys.of(runtime.config.baseUrl, credential)}` : '';
}

/**
 * Request-scoped access to one Octopus account, shaped so a request makes as few upstream calls as
 * the data allows (design: "Upstream calls", "Lists that scale"):
 * - every read is memoised for the request, and whole lists are shared across requests for a few
 *   seconds (SharedLists), keyed by an HMAC of the credential;
 * - the current user is remembered per credential across requests;
 * - a page from the top of a list costs one call; a whole list is walked with bounded parallelism;
 * - many ids of one user cost one walk; a lone id costs one GET, unless the request lists that user anyway.
 */
export class OctopusSession {
  readonly runtime: AccountRuntime;
  private readonly client?: OctopusClient;
  private readonly who: string;
  private readonly memo = new Memo<unknown>();
  private readonly keyLoader: DataLoader<string, OctopusApiKey | null>;
  private readonly userLoader: DataLoader<string, OctopusUser | null>;
  /** What this request read of each user's keys (pages and whole lists): lookups are answered from it. */
  private readonly reads = new Map<string, Promise<{ keys: OctopusApiKey[]; whole: boolean }>[]>();
  /** First pages read, by user and search text: one that held the whole list serves as the list. */
  private readonly pagesRead = new Map<string, Promise<Page<OctopusApiKey>>[]>();
  /** Users this request is about to read (their ids may wait on `me`). */
  private readonly intents: Promise<unknown>[] = [];
  private readonly knownUsers = new Map<string, OctopusUser>();

  constructor(
    private readonly upstreams: Upstreams,
    runtime: AccountRuntime,
    credential: string | undefined,
    private readonly options: SessionOptions,
  ) {
    this.runtime = runtime;
    if (credential) this.client = new OctopusClient(runtime.http, runtime.account.name, credential, options);
    this.who = whoOf(upstreams, runtime, credential);
    this.keyLoader = new DataLoader((refs) => this.loadKeys(refs));
    this.userLoader = new DataLoader((ids) => Promise.all(ids.map((id) => this.fetchUser(id))), { batch: false });
  }

  get hasCredential(): boolean {
    return this.client !== undefined;
  }

  private get octopus(): OctopusClient {
    if (!this.client) throw missingCredential(this.runtime);
    return this.client;
  }

  // Groups name a list at any server: one server may be configured under two names (an address and
  // a DNS name), and an invalidation must reach both. Entries stay apart by `who` (server and
  // credential); at worst another server's copy is read again.
  private group(scope: string): string {
    return `OCTOPUS ${scope}`;
  }

  private call<T>(what: string, run: (client: OctopusClient) => Promise<T>, calls = 1): Promise<T> {
    return attempt(() => {
      const client = this.octopus;
      this.options.budget.spend(calls, what);
      return run(client);
    });
  }

  me(): Promise<OctopusUser> {
    return this.memo.get('me', () =>
      attempt(() => {
        const client = this.octopus;
        return this.upstreams.users.get(this.who, () => {
          this.options.budget.spend(1, 'the current Octopus user');
          return client.currentUser();
        });
      }).then((user) => {
        this.knownUsers.set(user.id, user);
        return user;
      }),
    ) as Promise<OctopusUser>;
  }

  /** Says that this request is about to read a user's keys, so lookups in it wait for that read. */
  intend(user: Promise<unknown>): void {
    this.intents.push(user.catch(() => undefined));
  }

  private noteRead(userId: string, read: Promise<{ keys: OctopusApiKey[]; whole: boolean }>): void {
    // Kept for lookups, which may never come: its failure is the caller's to report, not unhandled.
    read.catch(() => undefined);
    const reads = this.reads.get(userId);
    if (reads) reads.push(read);
    else this.reads.set(userId, [read]);
  }

  /** The top `take` keys of a user, newest first, and how many there are in all. */
  firstPage(userId: string, take: number, partialPurpose?: string): Promise<Page<OctopusApiKey>> {
    const variant = `page|${take}|${partialPurpose ?? ''}`;
    const page = this.pageOf(userId, take, partialPurpose, variant);
    const pages = this.pagesRead.get(`${userId}|${partialPurpose ?? ''}`);
    if (pages) pages.push(page);
    else this.pagesRead.set(`${userId}|${partialPurpose ?? ''}`, [page]);
    if (!partialPurpose) this.noteRead(userId, page.then((p) => ({ keys: p.items, whole: p.items.length >= p.total })));
    return page;
  }

  private pageOf(userId: string, take: number, partialPurpose: string | undefined, variant: string): Promise<Page<OctopusApiKey>> {
    return this.memo.get(`keys|${userId}|${variant}`, () => {
      // A whole list already at hand answers without a call.
      const whole = this.upstreams.lists.peek<OctopusApiKey[]>(this.group(`keys ${userId}`), this.who, `all|${partialPurpose ?? ''}`);
      if (whole) return Promise.resolve({ items: whole.slice(0, take), total: whole.length });
      return this.upstreams.lists.load(this.group(`keys ${userId}`), this.who, variant, () =>
        this.call(`a page of ${userId}'s keys`, (client) => client.listKeys(userId, { skip: 0, take, partialPurpose })).then((page) => {
          this.upstreams.listSizes.set(this.sizeKey(userId, partialPurpose), page.total);
          return page;
        }),
      );
    }) as Promise<Page<OctopusApiKey>>;
  }

  private sizeKey(userId: string, partialPurpose: string | undefined): string {
    return `${this.group(`keys ${userId}`)}\u0000${this.who}\u0000${partialPurpose ?? ''}`;
  }

  /** Remembers the length of a list built from several reads (every user's keys), for `sizeOf`. */
  noteSize(list: string, size: number): void {
    this.upstreams.listSizes.set(`${this.group(list)}\u0000${this.who}`, size);
  }

  sizeOf(list: string): number | undefined {
    return this.upstreams.listSizes.get(`${this.group(list)}\u0000${this.who}`);
  }

  /** How many keys the user had when last read with this credential, if known. */
  knownSize(userId: string, partialPurpose?: string): number | undefined {
    return this.upstreams.listSizes.get(this.sizeKey(userId, partialPurpose));
  }

  /** Every key of a user, newest first (read once per request, shared across requests for a while). */
  allKeys(userId: string, partialPurpose?: string): Promise<OctopusApiKey[]> {
    const all = this.wholeList(userId, partialPurpose);
    if (!partialPurpose) this.noteRead(userId, all.then((keys) => ({ keys, whole: true })));
    return all;
  }

  private wholeList(userId: string, partialPurpose: string | undefined): Promise<OctopusApiKey[]> {
    return this.memo.get(`keys|${userId}|all|${partialPurpose ?? ''}`, async () => {
      // A page this request already read that held the whole list answers without another call.
      const pages = this.pagesRead.get(`${userId}|${partialPurpose ?? ''}`) ?? [];
      for (const page of await Promise.allSettled(pages)) {
        if (page.status === 'fulfilled' && page.value.items.length >= page.value.total) return page.value.items;
      }
      return this.walk(userId, partialPurpose);
    }) as Promise<OctopusApiKey[]>;
  }

  private walk(userId: string, partialPurpose: string | undefined): Promise<OctopusApiKey[]> {
    return attempt(() => {
      const client = this.octopus;
      const [group, variant] = [this.group(`keys ${userId}`), `all|${partialPurpose ?? ''}`];
      const load = () =>
        this.upstreams.lists.load(group, this.who, variant, async () => {
          const keys = await walkNewestFirst((skip, take) => client.listKeys(userId, { skip, take, partialPurpose }), {
            pageSize: this.options.pageSize,
            parallel: WALK_PARALLELISM,
            maxItems: this.options.maxKeys,
            beforeFetch: (pages) => this.options.budget.spend(pages, `the API keys of ${userId}`),
            what: `the API keys of ${userId}`,
          });
          this.upstreams.listSizes.set(this.sizeKey(userId, partialPurpose), keys.length);
          return keys;
        });
      // A cached list needs no admission. Otherwise the admission comes before the shared flight is
      // joined or started, never inside it: a flight under way never waits on the limiter, so a
      // request that holds an admission (an instance-wide walk) and reaches a user whose flight
      // another request started cannot end up waiting on itself.
      if (this.upstreams.lists.peek(group, this.who, variant) !== undefined) return load();
      return this.options.heavy(this.knownSize(userId, partialPurpose), load);
    });
  }

  /** Every user and service account of the instance (needs permission to view users). */
  allUsers(): Promise<OctopusUser[]> {
    return this.memo.get('users', () =>
      attempt(() => {
        const client = this.octopus;
        return this.upstreams.lists.load(this.group('users'), this.who, 'all', () =>
          walkNewestFirst((skip, take) => client.listUsers(skip, take), {
            pageSize: this.options.pageSize,
            parallel: WALK_PARALLELISM,
            maxItems: this.options.maxKeys,
            beforeFetch: (pages) => this.options.budget.spend(pages, 'the users of the Octopus instance'),
            what: 'the users of the Octopus instance',
          }),
        );
      }).then((users) => {
        for (const user of users) this.knownUsers.set(user.id, user);
        return users;
      }),
    ) as Promise<OctopusUser[]>;
  }

  /** One user, from what this request already knows, else one GET per distinct user. */
  user(userId: string): Promise<OctopusUser | null> {
    const known = this.knownUsers.get(userId);
    return known ? Promise.resolve(known) : this.userLoader.load(userId);
  }

  /** One key of a user, batched: several ids of one user in one request cost one walk. */
  key(userId: string, id: string): Promise<OctopusApiKey | null> {
    return this.keyLoader.load(`${userId}/${id}`);
  }

  /** After a mutation: this request and every later one read the user's keys afresh. */
  forget(userId: string): void {
    this.memo.deleteWhere((key) => key.startsWith(`keys|${userId}|`));
    this.reads.delete(userId);
    for (const key of this.pagesRead.keys()) if (key.startsWith(`${userId}|`)) this.pagesRead.delete(key);
    this.keyLoader.clearAll();
    this.upstreams.lists.invalidate(this.group(`keys ${userId}`));
  }

  /** The client for a write, with the write counted against the budget. */
  write<T>(what: string, run: (client: OctopusClient) => Promise<T>): Promise<T> {
    return this.call(what, run);
  }

  /** A create: two calls of the budget, itself and the lookup its answer may need (created-lookup.ts). */
  create<T>(what: string, run: (client: OctopusClient) => Promise<T>): Promise<T> {
    return this.call(what, run, CREATE_CALLS);
  }

  private fetchUser(userId: string): Promise<OctopusUser | null> {
    return this.call(`the Octopus user ${userId}`, (client) => client.getUser(userId));
  }

  private async loadKeys(refs: readonly string[]): Promise<(OctopusApiKey | null | Error)[]> {
    const byUser = new Map<string, string[]>();
    for (const ref of refs) {
      const [userId, id] = ref.split('/') as [string, string];
      const ids = byUser.get(userId);
      if (ids) ids.push(id);
      else byUser.set(userId, [id]);
    }
    // A list this request is reading anyway answers for its keys: wait for it rather than call.
    await Promise.all(this.intents);
    const found = new Map<string, OctopusApiKey | null | Error>();
    await mapBounded([...byUser], WALK_PARALLELISM, async ([userId, ids]) => {
      try {
        const reads = await Promise.allSettled(this.reads.get(userId) ?? []);
        const seen = new Map<string, OctopusApiKey>();
        let whole = false;
        for (const read of reads) {
          if (read.status !== 'fulfilled') continue;
          whole ||= read.value.whole;
          for (const key of read.value.keys) seen.set(key.id, key);
        }
        const missing = ids.filter((id) => !seen.has(id));
        if (missing.length > 0 && !whole) {
          // A lone id costs one GET; several ids of one user cost one walk of the user's list.
          if (missing.length === 1) {
            const key = await this.call(`a key of ${userId}`, (client) => client.getKey(userId, missing[0]!));
            if (key) seen.set(key.id, key);
          } else {
            for (const key of await this.allKeys(userId)) seen.set(key.id, key);
          }
        }
        for (const id of ids) found.set(`${userId}/${id}`, seen.get(id) ?? null);
      } catch (error) {
        for (const id of ids) found.set(`${userId}/${id}`, error as Error);
      }
    });
    return refs.map((ref) => found.get(ref) ?? null);
  }
}

/** Request-scoped access to one Hyperstack account: every key comes from one list call (no get-by-id). */
export class HyperstackSession {
  readonly runtime: AccountRuntime;
  private readonly client?: HyperstackClient;
  private readonly who: string;
  private list?: Promise<HyperstackApiKey[]>;

  constructor(
    private readonly upstreams: Upstreams,
    runtime: AccountRuntime,
    credentials: { apiKey?: string; accessToken?: string },
    private readonly options: SessionOptions,
  ) {
    this.runtime = runtime;
    if (credentials.apiKey || credentials.accessToken) {
      this.client = new HyperstackClient(runtime.http, runtime.account.name, credentials, options);
    }
    this.who = whoOf(upstreams, runtime, credentials.apiKey ?? credentials.accessToken);
  }

  get hasCredential(): boolean {
    return this.client !== undefined;
  }

  private get hyperstack(): HyperstackClient {
    if (!this.client) throw missingCredential(this.runtime);
    return this.client;
  }

  private get group(): string {
    return 'HYPERSTACK keys'; // at any server: see OctopusSession.group
  }

  keys(): Promise<HyperstackApiKey[]> {
    this.list ??= attempt(() => {
      const client = this.hyperstack;
      return this.upstreams.lists.load(this.group, this.who, 'all', () => {
        this.options.budget.spend(1, 'the Hyperstack key list');
        // Not admitted here: its body is parsed and mapped in one synchronous step, so one at a time,
        // and a whole list that holds it is admitted by the service (ApiKeyService.holding).
        return client.listKeys().then((keys) => {
          this.upstreams.listSizes.set(this.sizeKey, keys.length);
          return keys;
        });
      });
    });
    return this.list;
  }

  private get sizeKey(): string {
    return `${this.group}\u0000${this.who}`;
  }

  /** How many keys the account had when last read with this credential, if known. */
  knownSize(): number | undefined {
    return this.upstreams.listSizes.get(this.sizeKey);
  }

  async key(id: string): Promise<HyperstackApiKey | null> {
    return (await this.keys()).find((key) => key.id === id) ?? null;
  }

  /** The client for a write, with the write counted against the budget. */
  write<T>(what: string, run: (client: HyperstackClient) => Promise<T>, calls = 1): Promise<T> {
    return attempt(() => {
      const client = this.hyperstack;
      this.options.budget.spend(calls, what);
      return run(client);
    });
  }

  /** A generate: two calls of the budget, itself and the lookup its answer may need (created-lookup.ts). */
  create<T>(what: string, run: (client: HyperstackClient) => Promise<T>): Promise<T> {
    return this.write(what, run, CREATE_CALLS);
  }

  forget(): void {
    this.list = undefined;
    this.upstreams.lists.invalidate(this.group);
  }
}

/**
 * Every account a request can reach, as sessions created on first use. A request's forwarded
 * credentials replace the configured ones of the `default` account only.
 */
export class RequestLoaders {
  private readonly octopusSessions = new Map<string, OctopusSession>();
  private readonly hyperstackSessions = new Map<string, HyperstackSession>();
  readonly budget: CallBudget;
  private readonly options: SessionOptions;
  private admissions = 0;

  constructor(
    readonly upstreams: Upstreams,
    private readonly forwarded: ForwardedCredentials,
    settings: { observer?: UpstreamObserver; maxUpstreamCalls: number; pageSize: number; maxKeys: number; beforeCreate?: () => void; beforeCall?: () => void },
  ) {
    this.budget = new CallBudget(settings.maxUpstreamCalls);
    const redact = [
      forwarded.octopus,
      forwarded.hyperstack,
      forwarded.hyperstackAccessToken,
      ...upstreams.accounts.flatMap((a) => [a.config.apiKey, a.config.accessToken]),
    ].filter((c): c is string => c !== undefined);
    this.options = {
      observer: settings.observer,
      budget: this.budget,
      heavy: (weight, work) => this.heavy(weight, work),
      redact,
      beforeCreate: settings.beforeCreate,
      beforeCall: settings.beforeCall,
      pageSize: settings.pageSize,
      maxKeys: settings.maxKeys,
    };
  }

  /**
   * Runs whole-list work once the process-wide limiter admits it with `weight` keys. Work this
   * request starts while it already holds an admission (the walks of a whole list the service
   * admitted, or a sibling alias's list) runs at once, never waiting on itself; the keys it is known
   * to hold still count against the bound, so other requests see them.
   */
  async heavy<T>(weight: number | undefined, work: () => Promise<T>): Promise<T> {
    // Nested (or a sibling field of the same request): at once, but its known keys are counted.
    if (this.admissions > 0) return this.upstreams.heavy.runAdmitted(weight, work);
    return this.upstreams.heavy.run(weight, async () => {
      this.admissions++;
      try {
        return await work();
      } finally {
        this.admissions--;
      }
    });
  }

  accounts(provider?: Provider): readonly AccountRuntime[] {
    return provider ? this.upstreams.ofProvider(provider) : this.upstreams.accounts;
  }

  octopus(runtime: AccountRuntime): OctopusSession {
    let session = this.octopusSessions.get(runtime.account.name);
    if (!session) {
      const own = takesForwarded(runtime) ? this.forwarded.octopus : undefined;
      session = new OctopusSession(this.upstreams, runtime, own ?? runtime.config.apiKey, this.options);
      this.octopusSessions.set(runtime.account.name, session);
    }
    return session;
  }

  hyperstack(runtime: AccountRuntime): HyperstackSession {
    let session = this.hyperstackSessions.get(runtime.account.name);
    if (!session) {
      const forwarded = takesForwarded(runtime) && (this.forwarded.hyperstack || this.forwarded.hyperstackAccessToken);
      const credentials = forwarded
        ? { apiKey: this.forwarded.hyperstack, accessToken: this.forwarded.hyperstackAccessToken }
        : { apiKey: runtime.config.apiKey, accessToken: runtime.config.accessToken };
      session = new HyperstackSession(this.upstreams, runtime, credentials, this.options);
      this.hyperstackSessions.set(runtime.account.name, session);
    }
    return session;
  }

  /**
   * The Octopus user behind the gateway's own configured credential for an account (remembered
   * across requests), whatever credential this request acts with.
   */
  configuredOctopusUser(runtime: AccountRuntime): Promise<OctopusUser> {
    const credential = runtime.config.apiKey;
    if (!credential) return Promise.reject(missingCredential(runtime));
    return this.upstreams.users.get(whoOf(this.upstreams, runtime, credential), () => {
      this.budget.spend(1, 'the Octopus user of the gateway\'s credential');
      return new OctopusClient(runtime.http, runtime.account.name, credential, this.options).currentUser();
    });
  }

  /**
   * An Octopus client with a credential that is neither configured nor forwarded (a leaked secret
   * being traced): the request's logging, and that credential among those no message may show.
   */
  octopusClientWith(runtime: AccountRuntime, credential: string): OctopusClient {
    return new OctopusClient(runtime.http, runtime.account.name, credential, { ...this.options, redact: [...this.options.redact, credential] });
  }

  /** A Hyperstack client that sends `credential` (a leaked secret) as its API key, and redacts it. */
  hyperstackClientWith(runtime: AccountRuntime, credential: string): HyperstackClient {
    return new HyperstackClient(runtime.http, runtime.account.name, { apiKey: credential }, { ...this.options, redact: [...this.options.redact, credential] });
  }

  /** Whether this request acts on an account with a credential it brought (the environment's `default` account only). */
  usesForwardedCredential(runtime: AccountRuntime): boolean {
    if (!takesForwarded(runtime)) return false;
    return runtime.account.provider === 'OCTOPUS'
      ? this.forwarded.octopus !== undefined
      : this.forwarded.hyperstack !== undefined || this.forwarded.hyperstackAccessToken !== undefined;
  }

  /** Whether this request has a credential for an account (its own header or the gateway's). */
  hasCredential(runtime: AccountRuntime): boolean {
    return runtime.account.provider === 'OCTOPUS' ? this.octopus(runtime).hasCredential : this.hyperstack(runtime).hasCredential;
  }
}
