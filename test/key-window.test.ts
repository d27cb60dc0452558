// A page of a whole list, in its two implementations (one pass without the cache, binary search over
// a sorted copy with it), against the obvious one: sort everything, filter by the cursors, slice.
import { describe, expect, it } from 'vitest';
import type { ApiKeyRecord } from '../src/domain.js';
import { comparePositions, positionOf, type KeyOrder, type OrderField, type Position } from '../src/services/key-order.js';
import { selectWindow, sortedOf, sortedWindow, type Paging, type Window } from '../src/services/key-window.js';

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function keysOf(next: () => number, count: number): ApiKeyRecord[] {
  // Few distinct values, so ties (broken by id) and missing values (sorted last) are common.
  const date = () => (next() < 0.2 ? null : new Date(Date.UTC(2026, 0, 1 + Math.floor(next() * 5))));
  return Array.from({ length: count }, (_, i): ApiKeyRecord =>
    next() < 0.5
      ? { provider: 'HYPERSTACK', account: 'default', id: String(i), name: ['a', 'B', 'c'][Math.floor(next() * 3)]!, description: null, keyHint: null, createdAt: date() }
      : {
          provider: 'OCTOPUS',
          account: 'default',
          id: `ApiKeys-${i}`,
          userId: 'Users-1',
          purpose: ['a', 'b', 'C'][Math.floor(next() * 3)]!,
          keyHint: null,
          createdAt: date(),
          expiresAt: date(),
          lastUsedAt: date(),
          lastUsedKnown: true,
          accessLevel: null,
          actorType: null,
        },
  );
}

function obvious(keys: ApiKeyRecord[], order: KeyOrder, paging: Paging, after?: Position, before?: Position): Window {
  const sorted = keys.map((node) => ({ node, position: positionOf(node, order) })).sort((a, b) => comparePositions(a.position, b.position, order.direction));
  const inWindow = sorted.filter(
    ({ position }) => (!after || comparePositions(position, after, order.direction) > 0) && (!before || comparePositions(position, before, order.direction) < 0),
  );
  const page = paging.forward ? inWindow.slice(0, paging.size) : inWindow.slice(Math.max(0, inWindow.length - paging.size));
  return {
    page: page.map(({ node, position }) => ({ node, value: position.value, id: position.id })) as unknown as Window['page'],
    inWindow: inWindow.length,
    outsideBefore: after !== undefined && sorted.some(({ position }) => comparePositions(position, after, order.direction) <= 0),
    outsideAfter: before !== undefined && sorted.some(({ position }) => comparePositions(position, before, order.direction) >= 0),
  };
}

const plain = (w: Window) => ({ ...w, page: w.page.map((e) => ({ node: e.node, value: e.value, id: e.id })) });

describe('a window of a whole list', () => {
  it('is the same page, counts and neighbours in one pass, by binary search over a sorted copy, and the obvious way', () => {
    const next = random(10);
    const fields: OrderField[] = ['CREATED_AT', 'EXPIRES_AT', 'LAST_USED_AT', 'NAME'];
    for (let round = 0; round < 400; round++) {
      const keys = keysOf(next, Math.floor(next() * 40));
      const order: KeyOrder = { field: fields[Math.floor(next() * 4)]!, direction: next() < 0.5 ? 'ASC' : 'DESC' };
      const paging: Paging = { forward: next() < 0.5, size: Math.floor(next() * 12) };
      // Cursors of keys in the list, or of keys that are gone.
      const cursor = () => (next() < 0.4 ? undefined : positionOf(keysOf(next, 1)[0]!, order));
      const [after, before] = [cursor(), cursor()];
      const expected = plain(obvious(keys, order, paging, after, before));
      expect(plain(selectWindow(keys, order, paging, after, before))).toEqual(expected);
      const half = Math.floor(keys.length / 2);
      const sorted = sortedOf([keys.slice(0, half), keys.slice(half)], `round ${round}`, order, () => true);
      expect(plain(sortedWindow(sorted, order, paging, after, before))).toEqual(expected);
    }
  });

  it('sorts lists read from the cache once per filter and order, and again when a list is read anew', () => {
    const keys = keysOf(random(3), 30);
    const order: KeyOrder = { field: 'NAME', direction: 'ASC' };
    const sources = [keys.slice(0, 10), keys.slice(10)];
    const sorted = sortedOf(sources, 'all|NAME:ASC', order, () => true);
    expect(sortedOf([sources[0]!, sources[1]!], 'all|NAME:ASC', order, () => true)).toBe(sorted);
    expect(sortedOf(sources, 'filtered|NAME:ASC', order, (k) => k.provider === 'OCTOPUS')).not.toBe(sorted);
    expect(sortedOf([sources[0]!, [...sources[1]!]], 'all|NAME:ASC', order, () => true)).not.toBe(sorted);
  });
});
