// A create answered 2xx with the new key's secret, but without an id keygate can read: the key
// certainly exists and this answer holds its only secret. Rather than report "may have created" and
// drop the secret, the clients look the key up in the list (Octopus: the user's newest keys of
// that purpose; Hyperstack: the account's list) and answer with it when exactly one key fits.
import { nameOf, type ApiKeyRecord } from '../domain.js';
import type { UpstreamRequest, UpstreamResponse } from './http.js';

/**
 * How far a provider's clock may be from keygate's when judging whether a key is the new one: wide,
 * since a self-hosted server's clock may be off by minutes, and a wrong key also needs its short hint
 * to collide.
 */
const CLOCK_SKEW_MS = 15 * 60_000;

/** What sets the lookup's request apart from the client's other reads. */
export type Lookup = Required<Pick<UpstreamRequest, 'retry' | 'beforeSend' | 'completesCreate'>> & Pick<UpstreamRequest, 'endBy'>;

/**
 * The lookup's request after a create that answered `created`: not refused like the request's
 * other calls (shutdown's checkCall, the budget's per-call check, an open circuit), and first in
 * line for a connection: the caller counted it with the create, and the secret is already in hand.
 * It ends by the create's own deadline, which the shutdown grace period covers: past it, the
 * connection holding the answer may be cut, and the client would get neither the key nor the
 * create's "may have created". Within that time it is retried like any read (a 429 or 503 on it
 * would otherwise throw the secret away), while the wait leaves time for another attempt.
 */
export function lookupAfter(created: UpstreamResponse): Lookup {
  return { retry: true, beforeSend: () => {}, completesCreate: true, endBy: created.deadline };
}

/**
 * Of `keys`, the one that is the new key: its name and the secret's hint, and, given `sentAt`,
 * created between then and now, give or take the clock skew. Hints are short (4 random characters),
 * so where names repeat (Octopus purposes) the time tells a new key from an old one of the same name.
 */
export function madeSince<K extends ApiKeyRecord>(keys: readonly K[], made: { name: string; hint: string; sentAt?: number }, now = Date.now()): K | undefined {
  const { sentAt } = made;
  const matches = keys.filter((key) => {
    if (nameOf(key) !== made.name || key.keyHint !== made.hint) return false;
    if (sentAt === undefined) return true;
    const created = key.createdAt?.getTime();
    return created !== undefined && created >= sentAt - CLOCK_SKEW_MS && created <= now + CLOCK_SKEW_MS;
  });
  return matches.length === 1 ? matches[0] : undefined;
}
