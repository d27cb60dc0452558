// The shared vocabulary of keygate: providers, accounts, key records, risks and error codes.
// Schema, services, metrics and clients import it; it imports nothing of ours.

/** The providers keygate talks to; the same names are the GraphQL `ApiKeyProvider` values. */
export type Provider = 'OCTOPUS' | 'HYPERSTACK';

export const PROVIDERS: readonly Provider[] = ['OCTOPUS', 'HYPERSTACK'];

export const providerNames: Record<Provider, string> = {
  OCTOPUS: 'Octopus Deploy',
  HYPERSTACK: 'Hyperstack',
};

/** The error codes of the design's error table: every error a client sees carries one. */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_UNAVAILABLE'
  | 'UPSTREAM_ERROR'
  /** keygate itself cannot take this now (shutting down, too busy); `retryAfterSeconds` says when to retry. */
  | 'SERVICE_UNAVAILABLE';

const ERROR_CODES: Record<ErrorCode, true> = {
  BAD_USER_INPUT: true,
  UNAUTHENTICATED: true,
  FORBIDDEN: true,
  NOT_FOUND: true,
  CONFLICT: true,
  RATE_LIMITED: true,
  UPSTREAM_TIMEOUT: true,
  UPSTREAM_UNAVAILABLE: true,
  UPSTREAM_ERROR: true,
  SERVICE_UNAVAILABLE: true,
};

/** Whether a stored code (a rotation's lastError, say) is one a GraphQL error may carry. */
export const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(ERROR_CODES, code);

/** The code for an HTTP status a provider answered with (anything unexpected is the provider's fault). */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
    case 422:
      return 'BAD_USER_INPUT';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'CONFLICT';
    case 429:
      return 'RATE_LIMITED';
    default:
      return 'UPSTREAM_ERROR';
  }
}

/**
 * One provider base URL plus the credential keygate holds there, under a short name. What clients
 * see of it: never the credential.
 */
export interface Account {
  name: string;
  provider: Provider;
  /** The host of its base URL, e.g. `octopus.example.com`. */
  host: string;
}

/** The account built from today's variables (`OCTOPUS_URL`, `HYPERSTACK_API_KEY`, …). */
export const DEFAULT_ACCOUNT = 'default';

export type OctopusAccessLevel = 'FULL_ACCESS' | 'READ_ONLY' | 'CUSTOM';
export type OctopusActorType = 'USER' | 'AI_AGENT';

/** An Octopus API key as the rest of keygate sees it: camelCase, `Date`s, no wire names. */
export interface OctopusApiKey {
  provider: 'OCTOPUS';
  account: string;
  id: string;
  userId: string;
  purpose: string;
  /** The first 8 characters of the secret (`API-ABCD`), all Octopus reveals after creation. */
  keyHint: string | null;
  createdAt: Date | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  /** Whether the server tracks last use for this key (2026+); without it, "never used" cannot be told from "unknown". */
  lastUsedKnown: boolean;
  accessLevel: OctopusAccessLevel | null;
  actorType: OctopusActorType | null;
}

/** A Hyperstack API key as the rest of keygate sees it. */
export interface HyperstackApiKey {
  provider: 'HYPERSTACK';
  account: string;
  /** Hyperstack's integer id, as a string. */
  id: string;
  name: string;
  /** `""`, `null` and absent on the wire all mean "no description". */
  description: string | null;
  /** The last 4 characters of the key, all Hyperstack reveals after creation. */
  keyHint: string | null;
  createdAt: Date | null;
}

export type ApiKeyRecord = OctopusApiKey | HyperstackApiKey;

/** A key just minted, with its secret: this object exists only on the way to the client. */
export interface CreatedKey {
  apiKey: ApiKeyRecord;
  secret: string;
}

export interface OctopusUser {
  id: string;
  username: string;
  displayName: string;
  /** Whether the server says it is a service account; null when it does not say. */
  isService: boolean | null;
}

/** The common name: the Octopus purpose or the Hyperstack name. */
export const nameOf = (key: ApiKeyRecord): string => (key.provider === 'OCTOPUS' ? key.purpose : key.name);
/** Only Hyperstack keys have a description. */
export const descriptionOf = (key: ApiKeyRecord): string | null => (key.provider === 'HYPERSTACK' ? key.description : null);
export const expiresAtOf = (key: ApiKeyRecord): Date | null => (key.provider === 'OCTOPUS' ? key.expiresAt : null);
export const lastUsedAtOf = (key: ApiKeyRecord): Date | null => (key.provider === 'OCTOPUS' ? key.lastUsedAt : null);

// ---------------------------------------------------------------------------------------------
// Governance: what needs attention about a key, from the provider's data and the gateway's policy.

export type ApiKeyRisk = 'EXPIRED' | 'EXPIRING_SOON' | 'NEVER_EXPIRES' | 'OLDER_THAN_POLICY' | 'UNUSED' | 'FULL_ACCESS';

export const API_KEY_RISKS: readonly ApiKeyRisk[] = [
  'EXPIRED',
  'EXPIRING_SOON',
  'NEVER_EXPIRES',
  'OLDER_THAN_POLICY',
  'UNUSED',
  'FULL_ACCESS',
];

/** The thresholds behind the risks (EXPIRY_WARNING_DAYS, MAX_KEY_AGE_DAYS, UNUSED_DAYS). */
export interface Policy {
  expiryWarningDays: number;
  maxKeyAgeDays: number;
  unusedDays: number;
}

const DAY_MS = 86_400_000;

/** Whole days since creation; null when the creation time is unknown. */
export function ageDays(key: ApiKeyRecord, now: number): number | null {
  return key.createdAt ? Math.max(0, Math.floor((now - key.createdAt.getTime()) / DAY_MS)) : null;
}

/** The risks of one key at `now`, in the order of API_KEY_RISKS. Pure: costs no upstream call. */
export function risksOf(key: ApiKeyRecord, policy: Policy, now: number): ApiKeyRisk[] {
  const risks: ApiKeyRisk[] = [];
  const expires = expiresAtOf(key)?.getTime();
  if (expires === undefined) risks.push('NEVER_EXPIRES');
  else if (expires <= now) risks.push('EXPIRED');
  else if (expires - now <= policy.expiryWarningDays * DAY_MS) risks.push('EXPIRING_SOON');
  // To the millisecond, as UNUSED is: ageDays is whole days, and a key 90.9 days old is older than 90.
  if (key.createdAt && now - key.createdAt.getTime() > policy.maxKeyAgeDays * DAY_MS) risks.push('OLDER_THAN_POLICY');
  if (key.provider === 'OCTOPUS') {
    if (isUnused(key, policy, now)) risks.push('UNUSED');
    if (key.accessLevel === 'FULL_ACCESS') risks.push('FULL_ACCESS');
  }
  return risks;
}

/**
 * Octopus only, and only where the server reports last use: not used for `unusedDays`, or never
 * used and older than that.
 */
function isUnused(key: OctopusApiKey, policy: Policy, now: number): boolean {
  if (!key.lastUsedKnown) return false;
  const threshold = policy.unusedDays * DAY_MS;
  if (key.lastUsedAt) return now - key.lastUsedAt.getTime() > threshold;
  return key.createdAt !== null && now - key.createdAt.getTime() > threshold;
}

/** Keys one operation may look up by id (`node`, `apiKey`, and every id of every `nodes`, aliases included). */
export const MAX_LOOKUPS = 100;
