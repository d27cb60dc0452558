// Global ids of API keys: provider (as the GraphQL type name), account, and the provider's own
// reference. Ids issued before accounts existed carry no account and mean the `default` one.
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { ACCOUNT_NAME } from '../config/accounts.js';
import { DEFAULT_ACCOUNT, type ApiKeyRecord } from '../domain.js';

export type ApiKeyId =
  | { provider: 'OCTOPUS'; account: string; userId: string; id: string }
  | { provider: 'HYPERSTACK'; account: string; id: string };

export const TYPENAMES = { OCTOPUS: 'OctopusApiKey', HYPERSTACK: 'HyperstackApiKey' } as const;

// Octopus ids look like `Users-561` and `apikeys-I6D74k9rh7eyoqXDlqJCvlsVgU`; Hyperstack ids are integers.
export const OCTOPUS_PART = /^[A-Za-z0-9_-]{1,100}$/;
const HYPERSTACK_ID = /^\d{1,15}$/;
const MAX_GLOBAL_ID_LENGTH = 400;

/**
 * The store's and the audit trail's reference to a key: what follows the account in its global id
 * (`Users-1/apikeys-…` at Octopus, the id at Hyperstack). Takes an id or a record alike.
 */
export const keyRef = (key: ApiKeyId | ApiKeyRecord): string => (key.provider === 'OCTOPUS' ? `${key.userId}/${key.id}` : key.id);

// Records live for one request (or a few seconds in the shared cache); a list needs each id
// several times (sorting, cursors, the id field), so the first one is kept on the record. Not in a
// WeakMap: an entry for each fresh record cost more than the encoding (1.8 µs a key in a
// micro-benchmark, mostly the collector's work on the map). Not enumerable, so a copy made with
// spread (`{ ...key, account }`) does not take along an id that is no longer its own.
const GLOBAL_ID = Symbol('globalId');
type WithGlobalId = ApiKeyRecord & { [GLOBAL_ID]?: string };

export function apiKeyGlobalId(key: ApiKeyRecord): string {
  let id = (key as WithGlobalId)[GLOBAL_ID];
  if (id === undefined) {
    id =
      key.provider === 'OCTOPUS'
        ? encodeGlobalID(TYPENAMES.OCTOPUS, `${key.account}/${key.userId}/${key.id}`)
        : encodeGlobalID(TYPENAMES.HYPERSTACK, `${key.account}/${key.id}`);
    Object.defineProperty(key, GLOBAL_ID, { value: id });
  }
  return id;
}

/** Decodes a global id; anything that is not one of ours (wrong type, not base64, forged parts) is null. */
export function parseApiKeyId(globalId: string): ApiKeyId | null {
  if (globalId.length > MAX_GLOBAL_ID_LENGTH) return null;
  let decoded: { typename: string; id: string };
  try {
    decoded = decodeGlobalID(globalId);
  } catch {
    return null;
  }
  const parts = decoded.id.split('/');
  if (decoded.typename === TYPENAMES.HYPERSTACK) {
    const [account, id] = parts.length === 1 ? [DEFAULT_ACCOUNT, parts[0]!] : parts.length === 2 ? parts : [];
    return account && id && ACCOUNT_NAME.test(account) && HYPERSTACK_ID.test(id) ? { provider: 'HYPERSTACK', account, id } : null;
  }
  if (decoded.typename === TYPENAMES.OCTOPUS) {
    const [account, userId, id] = parts.length === 2 ? [DEFAULT_ACCOUNT, ...parts] : parts.length === 3 ? parts : [];
    if (!account || !userId || !id || !ACCOUNT_NAME.test(account) || !OCTOPUS_PART.test(userId) || !OCTOPUS_PART.test(id)) return null;
    return { provider: 'OCTOPUS', account, userId, id };
  }
  return null;
}
