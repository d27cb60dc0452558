import { getHeapStatistics } from 'node:v8';
import { LRUCache } from 'lru-cache';
import { UpstreamError } from './errors.js';

/**
 * Key lists shared across requests: identical loads in flight at once share one upstream call
 * (single-flight), and finished lists are remembered for a few seconds, so a client paging through
 * a large list reads it once rather than once per page.
 *
 * Entries hold key metadata only (never a secret) and are keyed by an HMAC of the credential
 * (`who`), never the credential itself. A `group` is one list at one server (e.g. one Octopus
 * user's keys); keygate's own mutations invalidate their group for every credential, by moving the
 * group to a new generation: older entries and flights are never served again and age out.
 */
export class SharedLists {
  private readonly cache?: LRUCache<string, { value: unknown }>;
  private readonly flights = new Map<string, Promise<unknown>>();
  private readonly generations = new Map<string, number>();
  /** Loads answered from the cache, and loads that joined a flight already under way. */
  readonly stats = { cached: 0, joined: 0 };

  constructor(private readonly options: { ttlMs: number; dedupe: boolean; maxEntriesSize: number }) {
    if (options.ttlMs > 0) {
      // Expired lists are dropped when they expire, not when something else evicts them: the
      // cache holds seconds of metadata, never a standing copy of every account.
      this.cache = new LRUCache({
        ttl: options.ttlMs,
        ttlAutopurge: true,
        maxSize: options.maxEntriesSize,
        sizeCalculation: (entry) => sizeOf(entry.value),
      });
    }
  }

  /**
   * The value of `load()`, from the cache, from a flight already under way, or by calling it.
   * `cache: false` shares flights but does not remember the result (pages of a list that changes).
   */
  async load<T>(group: string, who: string, variant: string, load: () => Promise<T>, options: { cache?: boolean } = {}): Promise<T> {
    const generation = this.generations.get(group) ?? 0;
    const key = `${group}\u0000${generation}\u0000${who}\u0000${variant}`;
    const cached = this.cache?.get(key);
    if (cached) {
      this.stats.cached++;
      return cached.value as T;
    }
    if (!this.options.dedupe) return this.remember(key, group, generation, await load(), options.cache);
    let flight = this.flights.get(key) as Promise<T> | undefined;
    if (flight) {
      this.stats.joined++;
      // A flight fails for every request that joined it only when the provider failed it. Its
      // starter's own limits (its call budget, a refusal at its shutdown) are not the joiner's,
      // which then loads again, within its own: the first joiner back starts a flight the others join.
      return flight.catch((error: unknown) => {
        if (error instanceof UpstreamError) throw error;
        return this.load(group, who, variant, load, options);
      });
    } else {
      flight = load().then((value) => this.remember(key, group, generation, value, options.cache));
      this.flights.set(key, flight);
      const settle = () => this.flights.delete(key);
      flight.then(settle, settle);
    }
    return flight;
  }

  /** Whether finished lists are remembered: a list read twice within the TTL is the same array. */
  get caching(): boolean {
    return this.cache !== undefined;
  }

  /** A cached value only: for "is the whole list at hand already?" without causing a call. */
  peek<T>(group: string, who: string, variant: string): T | undefined {
    const key = `${group}\u0000${this.generations.get(group) ?? 0}\u0000${who}\u0000${variant}`;
    return this.cache?.get(key)?.value as T | undefined;
  }

  /** After a mutation: every credential's entries and flights of this group are stale. */
  invalidate(group: string): void {
    this.generations.set(group, (this.generations.get(group) ?? 0) + 1);
  }

  private remember<T>(key: string, group: string, generation: number, value: T, cache = true): T {
    // A load that started before an invalidation must not put its (older) answer back.
    if (cache && this.cache && (this.generations.get(group) ?? 0) === generation) this.cache.set(key, { value });
    return value;
  }
}

/** Cache size in keys, so the bound is what costs memory: the number of records held. */
function sizeOf(value: unknown): number {
  if (Array.isArray(value)) return Math.max(1, value.length);
  const items = (value as { items?: unknown[] } | null)?.items;
  return Array.isArray(items) ? Math.max(1, items.length) : 1;
}

/**
 * Bounds the whole-list work in flight across the process, by count and by the keys it holds, so
 * many concurrent large lists queue instead of exhausting the heap (a gateway that aborts loses
 * every request in flight). Work is admitted in arrival order when both fit, or when nothing else
 * runs (one list of MAX_LIST_KEYS is always allowed); a caller waits at most `waitMs`, then gets
 * `HeavyWorkRefused` (503 with Retry-After). Work a request starts while it holds an admission is
 * not made to wait again (RequestLoaders.heavy, `runAdmitted`), so nesting cannot deadlock, but its
 * known keys are counted.
 * (Hand-written: cockatiel's bulkhead counts calls, not weight, and has no wait limit.)
 */
export class HeavyWorkLimiter {
  private running = 0;
  private held = 0;
  private readonly waiting: { weight: number; grant: () => void }[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly waitMs: number,
    /** Keys all admitted work may hold at once (see `heavyListKeys`). */
    readonly maxKeys: number = Number.POSITIVE_INFINITY,
  ) {}

  /**
   * Runs `work` once admitted with `weight` keys (undefined: not known yet, so it runs alone);
   * rejects with `HeavyWorkRefused` when it is not admitted in time.
   */
  async run<T>(weight: number | undefined, work: () => Promise<T>): Promise<T> {
    const keys = this.weigh(weight, this.maxKeys);
    await this.acquire(keys);
    try {
      return await work();
    } finally {
      this.release(keys);
    }
  }

  /**
   * Runs `work` at once, for a request that already holds an admission (waiting would be waiting
   * on itself), but counts its known keys while it runs, so other requests are admitted against them.
   */
  async runAdmitted<T>(weight: number | undefined, work: () => Promise<T>): Promise<T> {
    const keys = this.weigh(weight, 0);
    this.held += keys;
    try {
      return await work();
    } finally {
      this.held -= keys;
      this.grantWaiting();
    }
  }

  /** Keys counted for a weight; unknown counts as `unknown`. Finite, so `held` always returns to 0. */
  private weigh(weight: number | undefined, unknown: number): number {
    const keys = Math.min(weight ?? unknown, this.maxKeys);
    return Number.isFinite(keys) ? keys : 0;
  }

  /** Requests waiting for an admission now (for tests and metrics). */
  get waitingCount(): number {
    return this.waiting.length;
  }

  private fits(weight: number): boolean {
    return this.running === 0 || (this.running < this.concurrency && this.held + weight <= this.maxKeys);
  }

  private take(weight: number): void {
    this.running++;
    this.held += weight;
  }

  private acquire(weight: number): Promise<void> {
    // In arrival order: a large list is not overtaken forever by small ones.
    if (this.waiting.length === 0 && this.fits(weight)) {
      this.take(weight);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const entry = {
        weight,
        grant: () => {
          clearTimeout(timer);
          this.take(weight);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(entry), 1);
        reject(new HeavyWorkRefused(Math.max(1, Math.ceil(this.waitMs / 1000))));
        // The head may have been what held the others back.
        this.grantWaiting();
      }, this.waitMs);
      this.waiting.push(entry);
    });
  }

  private release(weight: number): void {
    this.running--;
    this.held -= weight;
    this.grantWaiting();
  }

  private grantWaiting(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.weight)) this.waiting.shift()!.grant();
  }
}

/**
 * What a whole list holds per key at its peak, in heap bytes: the parsed page or body, the mapped
 * record, and the merge and sort over it (measured with `bench/`: about BYTES_PER_KEY for a list of
 * 100,000 + 50,000 keys).
 */
const BYTES_PER_KEY = 600;

/**
 * The default bound on keys held by whole lists at once: half of V8's heap limit (the rest is the
 * gateway itself and the requests' other work). 128 MB of old space gives about 150,000 keys, the
 * default limit (a quarter of memory, up to 4 GB) millions.
 */
export function heavyListKeys(heapSizeLimit = getHeapStatistics().heap_size_limit): number {
  return Math.max(1_000, Math.floor(heapSizeLimit / 2 / BYTES_PER_KEY));
}

export class HeavyWorkRefused extends Error {
  override readonly name = 'HeavyWorkRefused';
  constructor(readonly retryAfterSeconds: number) {
    super('keygate is reading too many large key lists at once.');
  }
}
