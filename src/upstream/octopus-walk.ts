import { UpstreamError } from './errors.js';
import type { Page } from './octopus.js';

export interface WalkOptions {
  /** `take` of each page. */
  pageSize: number;
  /** Pages in flight at once once the total is known. */
  parallel: number;
  /** A longer list is refused rather than held in memory. */
  maxItems: number;
  /** Called before each page request (the request's upstream-call budget). */
  beforeFetch?: (pages: number) => void;
  /** Whole re-reads allowed when the list changes under the walk. */
  maxRestarts?: number;
  /** What the list is, for messages: "the API keys of Users-1". */
  what: string;
}

/**
 * Reads a whole newest-first Octopus list without duplicating or skipping an item when the list
 * changes between page requests.
 *
 * Every page after the first starts one item early (`skip = k·size − 1`), so consecutive pages
 * share their boundary item. Each page is a contiguous slice of the list as it was when that page
 * was read, and items only come and go (new keys appear at the top; nothing moves), so when every
 * page starts with the item the previous page ended on, the pages together cover the list with no
 * gap, whatever order they were fetched in. A boundary that does not match means the list moved
 * under the walk: read it again, a bounded number of times. Once `TotalResults` is known, the
 * remaining pages are fetched with bounded parallelism.
 */
export async function walkNewestFirst<T extends { id: string }>(
  fetchPage: (skip: number, take: number) => Promise<Page<T>>,
  options: WalkOptions,
): Promise<T[]> {
  const maxRestarts = options.maxRestarts ?? 3;
  for (let attempt = 0; ; attempt++) {
    const items = await walkOnce(fetchPage, options);
    if (items) return items;
    if (attempt >= maxRestarts) {
      throw new UpstreamError(
        'OCTOPUS',
        'UPSTREAM_ERROR',
        `${capitalise(options.what)} kept changing while keygate read them; try again in a moment.`,
      );
    }
  }
}

/** One pass; undefined when a boundary did not match (the list changed). */
async function walkOnce<T extends { id: string }>(
  fetchPage: (skip: number, take: number) => Promise<Page<T>>,
  { pageSize, parallel, maxItems, beforeFetch, what }: WalkOptions,
): Promise<T[] | undefined> {
  beforeFetch?.(1);
  const first = await fetchPage(0, pageSize);
  // Each page knows the list's length when it was read: a page that reaches it ends the walk.
  const reachesEnd = (skip: number, page: Page<T>) => page.items.length === 0 || skip + page.items.length >= page.total;
  if (first.items.length < pageSize || reachesEnd(0, first)) return first.items;
  checkSize(first.total, maxItems, what);
  const skipOf = (k: number) => k * pageSize - 1;
  const fetchOverlapping = (k: number) => fetchPage(skipOf(k), pageSize + 1);
  // Pages 1…planned-1 in parallel, bounded; then, if the list grew meanwhile, more one at a time.
  const planned = Math.ceil(first.total / pageSize);
  beforeFetch?.(planned - 1);
  const pages: Page<T>[] = [first, ...(await mapBounded(range(1, planned), parallel, fetchOverlapping))];
  for (let k = pages.length; !reachesEnd(skipOf(k - 1), pages[k - 1]!) && pages[k - 1]!.items.length === pageSize + 1; k++) {
    checkSize(k * pageSize, maxItems, what);
    beforeFetch?.(1);
    pages.push(await fetchOverlapping(k));
  }
  const items = [...first.items];
  for (let k = 1; k < pages.length; k++) {
    const previous = pages[k - 1]!.items;
    const page = pages[k]!.items;
    if (page.length === 0 || page[0]!.id !== previous[previous.length - 1]!.id) return undefined;
    for (let i = 1; i < page.length; i++) items.push(page[i]!);
  }
  return items;
}

function checkSize(total: number, maxItems: number, what: string): void {
  if (total > maxItems) {
    throw new UpstreamError(
      'OCTOPUS',
      'UPSTREAM_ERROR',
      `${capitalise(what)} number ${total}, more than keygate holds in one list (MAX_LIST_KEYS=${maxItems}).`,
    );
  }
}

/** `fn` over `items` with at most `limit` calls in flight, results in order. */
export async function mapBounded<I, O>(items: I[], limit: number, fn: (item: I) => Promise<O>): Promise<O[]> {
  const results = new Array<O>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
