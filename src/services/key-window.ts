// One page of a whole list in any order, at a cost that does not grow with the list more than it
// must: without the cache, one pass that keeps only the page (O(n log page), no copy of the list);
// with it, the list sorted once per cached read and every page after that by binary search.
// Pure: no upstream calls here.
import type { ApiKeyRecord } from '../domain.js';
import { apiKeyGlobalId } from './key-ids.js';
import { comparePositions, sortValueOf, toCursor, type KeyOrder, type Position } from './key-order.js';

/** A key in one order. Its global id (the tie-breaker) is computed only when a tie needs it. */
export class Entry implements Position {
  private globalId?: string;
  constructor(
    readonly node: ApiKeyRecord,
    readonly value: Position['value'],
  ) {}
  get id(): string {
    return (this.globalId ??= apiKeyGlobalId(this.node));
  }
}

/** An edge of a page: its cursor is built only when asked for (many clients read `nodes` only). */
export class Edge {
  constructor(
    private readonly entry: Entry,
    private readonly order: KeyOrder,
  ) {}
  get node(): ApiKeyRecord {
    return this.entry.node;
  }
  get cursor(): string {
    return toCursor(this.entry, this.order);
  }
}

export const entryOf = (node: ApiKeyRecord, order: KeyOrder) => new Entry(node, sortValueOf(node, order));

export interface Paging {
  forward: boolean;
  size: number;
}

export interface Window {
  /** The page, in order. */
  page: Entry[];
  /** Keys strictly between the cursors, more than the page when there are more pages that way. */
  inWindow: number;
  /** A key at or before `after`; a key at or after `before`. */
  outsideBefore: boolean;
  outsideAfter: boolean;
}

/** One pass over unsorted keys, holding the best `size` of the window in a bounded heap. */
export function selectWindow(keys: readonly ApiKeyRecord[], order: KeyOrder, paging: Paging, after?: Position, before?: Position): Window {
  // Forward pages keep the first `size` keys of the window, backward ones the last: the heap's top is
  // the kept key that would go first (the worst one).
  const sign = paging.forward ? 1 : -1;
  const worse = (a: Entry, b: Entry) => sign * comparePositions(a, b, order.direction) > 0;
  const heap: Entry[] = [];
  let inWindow = 0;
  let outsideBefore = false;
  let outsideAfter = false;
  for (const node of keys) {
    const entry = entryOf(node, order);
    // Both, when the cursors cross.
    const beforeWindow = after !== undefined && comparePositions(entry, after, order.direction) <= 0;
    const afterWindow = before !== undefined && comparePositions(entry, before, order.direction) >= 0;
    outsideBefore ||= beforeWindow;
    outsideAfter ||= afterWindow;
    if (beforeWindow || afterWindow) continue;
    inWindow++;
    if (paging.size === 0) continue;
    if (heap.length < paging.size) push(heap, entry, worse);
    else if (worse(heap[0]!, entry)) replaceTop(heap, entry, worse);
  }
  const page = heap.sort((a, b) => comparePositions(a, b, order.direction));
  return { page, inWindow, outsideBefore, outsideAfter };
}

/** A window of keys already sorted in the order, by binary search. */
export function sortedWindow(sorted: readonly Entry[], order: KeyOrder, paging: Paging, after?: Position, before?: Position): Window {
  const lo = after ? firstIndex(sorted, (e) => comparePositions(e, after, order.direction) > 0) : 0;
  const hi = before ? firstIndex(sorted, (e) => comparePositions(e, before, order.direction) >= 0) : sorted.length;
  const end = Math.max(lo, hi);
  const page = paging.forward ? sorted.slice(lo, Math.min(end, lo + paging.size)) : sorted.slice(Math.max(lo, end - paging.size), end);
  return { page, inWindow: end - lo, outsideBefore: lo > 0, outsideAfter: hi < sorted.length };
}

/**
 * Sorted entries of the lists read from the shared cache, kept as long as those lists are (by their
 * identity: a new read is a new array), per filter and order: each page of a walk through a cached
 * list is a binary search, not a sort of the whole list.
 */
const sortedCache = new WeakMap<readonly ApiKeyRecord[], Map<string, { sources: readonly (readonly ApiKeyRecord[])[]; sorted: Entry[] }>>();
/** Filters and orders remembered per cached list: each entry holds one reference per key. */
const MAX_SORTS_PER_LIST = 4;

/**
 * The keys of `sources` that pass `keep`, sorted in the order: from the cache when the same source
 * lists were sorted under the same `variant` (filter and order) before.
 */
export function sortedOf(
  sources: readonly (readonly ApiKeyRecord[])[],
  variant: string,
  order: KeyOrder,
  keep: (key: ApiKeyRecord) => boolean,
): Entry[] {
  const anchor = sources[0];
  const byVariant = anchor ? sortedCache.get(anchor) : undefined;
  const hit = byVariant?.get(variant);
  if (hit && hit.sources.length === sources.length && hit.sources.every((s, i) => s === sources[i])) return hit.sorted;
  const sorted: Entry[] = [];
  for (const list of sources) for (const node of list) if (keep(node)) sorted.push(entryOf(node, order));
  sorted.sort((a, b) => comparePositions(a, b, order.direction));
  if (anchor) {
    const entries = byVariant ?? new Map();
    if (entries.size >= MAX_SORTS_PER_LIST) entries.delete(entries.keys().next().value!);
    entries.set(variant, { sources, sorted });
    if (!byVariant) sortedCache.set(anchor, entries);
  }
  return sorted;
}

function firstIndex<T>(items: readonly T[], test: (item: T) => boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (test(items[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function push<T>(heap: T[], item: T, above: (a: T, b: T) => boolean): void {
  heap.push(item);
  for (let i = heap.length - 1; i > 0; ) {
    const parent = (i - 1) >> 1;
    if (!above(heap[i]!, heap[parent]!)) break;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

function replaceTop<T>(heap: T[], item: T, above: (a: T, b: T) => boolean): void {
  heap[0] = item;
  for (let i = 0; ; ) {
    const [l, r] = [2 * i + 1, 2 * i + 2];
    let top = i;
    if (l < heap.length && above(heap[l]!, heap[top]!)) top = l;
    if (r < heap.length && above(heap[r]!, heap[top]!)) top = r;
    if (top === i) return;
    [heap[i], heap[top]] = [heap[top]!, heap[i]!];
    i = top;
  }
}
