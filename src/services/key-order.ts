// The pure part of `apiKeys`: orders, cursors, filters and the summary. No upstream calls here.
import {
  API_KEY_RISKS,
  PROVIDERS,
  descriptionOf,
  expiresAtOf,
  lastUsedAtOf,
  nameOf,
  risksOf,
  type ApiKeyRecord,
  type ApiKeyRisk,
  type Policy,
  type Provider,
} from '../domain.js';
import { apiKeyGlobalId } from './key-ids.js';

export type OrderField = 'CREATED_AT' | 'EXPIRES_AT' | 'LAST_USED_AT' | 'NAME';
export type OrderDirection = 'ASC' | 'DESC';
export interface KeyOrder {
  field: OrderField;
  direction: OrderDirection;
  /**
   * LAST_USED_AT only: when the walk through the list began (ms), per account, by that provider's
   * clock (the latest use the first read saw in the account). Every call keygate makes bumps the
   * last use of the key it calls with; unclamped, that key moves past each cursor and comes back on
   * every page, for ever. A use after this moment sorts as this moment, so a key used during the
   * walk shows at most once more. Per account, since servers' clocks differ. Carried in the cursors,
   * so every page of a walk sorts alike.
   */
  asOf?: WalkStart;
}

/** Account name → the moment a LAST_USED_AT walk began there (KeyOrder.asOf). */
export type WalkStart = Readonly<Record<string, number>>;

/** Newest first, as the list has always been. */
export const DEFAULT_ORDER: KeyOrder = { field: 'CREATED_AT', direction: 'DESC' };

type SortValue = number | string | null;

export function sortValueOf(key: ApiKeyRecord, order: KeyOrder): SortValue {
  switch (order.field) {
    case 'CREATED_AT':
      return key.createdAt?.getTime() ?? null;
    case 'EXPIRES_AT':
      return expiresAtOf(key)?.getTime() ?? null;
    case 'LAST_USED_AT': {
      const used = lastUsedAtOf(key)?.getTime();
      if (used === undefined) return null;
      const start = order.asOf?.[key.account];
      return start !== undefined && used > start ? start : used;
    }
    case 'NAME':
      return nameOf(key).toLowerCase().slice(0, NAME_SORT_CHARS);
  }
}

/**
 * Names sort by their first 256 characters (then by id): the sort value travels in every cursor, and
 * an Octopus purpose has no length limit, so a whole one could make a cursor too long to take back.
 */
const NAME_SORT_CHARS = 256;

/** A position in one order: the sort value of a key and its global id (the tie-breaker). */
export interface Position {
  value: SortValue;
  id: string;
}

export function positionOf(key: ApiKeyRecord, order: KeyOrder): Position {
  return { value: sortValueOf(key, order), id: apiKeyGlobalId(key) };
}

/** Keys without a value for the field sort last in either direction; ties by global id. */
export function comparePositions(a: Position, b: Position, direction: OrderDirection): number {
  if (a.value !== b.value) {
    if (a.value === null) return 1;
    if (b.value === null) return -1;
    const ascending = a.value < b.value ? -1 : 1;
    return direction === 'ASC' ? ascending : -ascending;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

const CURSOR_VERSION = 2;
// The longest a cursor of ours can be: a name's 256 characters JSON-escaped (6 bytes each at worst),
// a global id (400), or a LAST_USED_AT walk's start for each of up to 200 Octopus accounts (about 50
// bytes each), the rest, all in base64url.
const MAX_CURSOR_LENGTH = 16_000;

/**
 * A cursor is the position of its key in its order, not an offset: it stays valid when keys come
 * and go, even when its own key is gone. It names its order, so it cannot be used with another.
 */
export function toCursor(position: Position, order: KeyOrder): string {
  const fields: unknown[] = [CURSOR_VERSION, `${order.field}:${order.direction}`, position.value, position.id];
  if (order.asOf !== undefined) fields.push(order.asOf);
  return Buffer.from(JSON.stringify(fields)).toString('base64url');
}

export type CursorProblem = 'malformed' | 'other-order';

/** A cursor's position, and for LAST_USED_AT the moment its walk began (cursors before it had none). */
export function fromCursor(cursor: string, order: KeyOrder): (Position & { asOf?: WalkStart }) | CursorProblem {
  if (cursor.length > MAX_CURSOR_LENGTH) return 'malformed';
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return 'malformed';
  }
  if (!Array.isArray(parsed) || parsed.length < 4 || parsed.length > 5 || parsed[0] !== CURSOR_VERSION) return 'malformed';
  const [, orderCode, value, id, asOf] = parsed as [unknown, unknown, unknown, unknown, unknown];
  if (typeof orderCode !== 'string' || typeof id !== 'string') return 'malformed';
  if (orderCode !== `${order.field}:${order.direction}`) return 'other-order';
  if (value !== null && typeof value !== (order.field === 'NAME' ? 'string' : 'number')) return 'malformed';
  if (asOf === undefined) return { value: value as SortValue, id };
  if (order.field !== 'LAST_USED_AT' || !isWalkStart(asOf)) return 'malformed';
  return { value: value as SortValue, id, asOf };
}

function isWalkStart(value: unknown): value is WalkStart {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every((start) => Number.isSafeInteger(start));
}

export interface KeyFilter {
  /** Lower-cased search text: name or description must contain it. */
  needle?: string;
  risks?: readonly ApiKeyRisk[];
  expiresBefore?: Date;
  createdBefore?: Date;
}

/** Whether a filter needs facts only keygate computes (so the provider cannot page it for us). */
export function needsWholeList(filter: KeyFilter): boolean {
  return Boolean(filter.risks?.length || filter.expiresBefore || filter.createdBefore);
}

export function matchesSearch(key: ApiKeyRecord, needle: string): boolean {
  return nameOf(key).toLowerCase().includes(needle) || (descriptionOf(key)?.toLowerCase().includes(needle) ?? false);
}

export function matches(key: ApiKeyRecord, filter: KeyFilter, policy: Policy, now: number): boolean {
  if (filter.needle && !matchesSearch(key, filter.needle)) return false;
  if (filter.createdBefore && !(key.createdAt && key.createdAt < filter.createdBefore)) return false;
  if (filter.expiresBefore) {
    const expires = expiresAtOf(key);
    if (!(expires && expires < filter.expiresBefore)) return false;
  }
  if (filter.risks?.length) {
    const risks = risksOf(key, policy, now);
    if (!filter.risks.some((risk) => risks.includes(risk))) return false;
  }
  return true;
}

export interface KeySummary {
  totalCount: number;
  byProvider: { provider: Provider; count: number }[];
  byRisk: { risk: ApiKeyRisk; count: number }[];
  byAccount: { provider: Provider; account: string; count: number }[];
}

/** Counts over a whole (filtered) list, for a dashboard in one query. */
export function summarize(keys: readonly ApiKeyRecord[], policy: Policy, now: number): KeySummary {
  const byProvider = new Map<Provider, number>(PROVIDERS.map((p) => [p, 0]));
  const byRisk = new Map<ApiKeyRisk, number>(API_KEY_RISKS.map((r) => [r, 0]));
  const byAccount = new Map<string, { provider: Provider; account: string; count: number }>();
  for (const key of keys) {
    byProvider.set(key.provider, byProvider.get(key.provider)! + 1);
    for (const risk of risksOf(key, policy, now)) byRisk.set(risk, byRisk.get(risk)! + 1);
    const accountKey = `${key.provider}/${key.account}`;
    const entry = byAccount.get(accountKey) ?? { provider: key.provider, account: key.account, count: 0 };
    entry.count++;
    byAccount.set(accountKey, entry);
  }
  return {
    totalCount: keys.length,
    byProvider: [...byProvider].map(([provider, count]) => ({ provider, count })),
    byRisk: [...byRisk].map(([risk, count]) => ({ risk, count })),
    byAccount: [...byAccount.values()],
  };
}
