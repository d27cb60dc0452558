import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { z } from 'zod';
import { badUserInput } from '../errors.js';
import type { ApiKeyRecord } from '../upstream/loaders.js';

/**
 * What a global id decodes to: the provider and everything its routes need. An Octopus id carries
 * the user id because every Octopus key route is below `/users/{userId}`.
 */
export type ApiKeyId =
  | { provider: 'OCTOPUS'; userId: string; id: string }
  | { provider: 'HYPERSTACK'; id: string };

export const TYPENAMES = { OCTOPUS: 'OctopusApiKey', HYPERSTACK: 'HyperstackApiKey' } as const;

// Octopus ids look like `Users-561` and `apikeys-I6D74k9rh7eyoqXDlqJCvlsVgU`; Hyperstack ids are integers.
const OCTOPUS_PART = /^[A-Za-z0-9_-]{1,100}$/;
const HYPERSTACK_ID = /^\d{1,15}$/;
const MAX_GLOBAL_ID_LENGTH = 400;

/** Validation for an argument that takes an Octopus user id, e.g. `Users-1`. */
export const octopusUserId = (field: string) =>
  z.string().regex(OCTOPUS_PART, `${field} must look like an Octopus user id, e.g. "Users-1".`);

// Records live for one request; a list needs each id twice (sorting, then the id field).
const globalIds = new WeakMap<ApiKeyRecord, string>();

export function apiKeyGlobalId(key: ApiKeyRecord): string {
  let id = globalIds.get(key);
  if (id === undefined) {
    id =
      key.provider === 'OCTOPUS'
        ? encodeGlobalID(TYPENAMES.OCTOPUS, `${key.userId}/${key.id}`)
        : encodeGlobalID(TYPENAMES.HYPERSTACK, key.id);
    globalIds.set(key, id);
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
  if (decoded.typename === TYPENAMES.HYPERSTACK) {
    return HYPERSTACK_ID.test(decoded.id) ? { provider: 'HYPERSTACK', id: decoded.id } : null;
  }
  if (decoded.typename === TYPENAMES.OCTOPUS) {
    const [userId, id, ...rest] = decoded.id.split('/');
    if (rest.length > 0 || !userId || !id || !OCTOPUS_PART.test(userId) || !OCTOPUS_PART.test(id)) return null;
    return { provider: 'OCTOPUS', userId, id };
  }
  return null;
}

/** For mutations, where a bad id is an error rather than null. */
export function requireApiKeyId(globalId: string, field = 'id'): ApiKeyId {
  const parsed = parseApiKeyId(globalId);
  if (!parsed) {
    throw badUserInput(`\`${field}\` is not the id of an API key. Use the \`id\` of a key returned by \`apiKeys\`.`, {
      field,
    });
  }
  return parsed;
}
