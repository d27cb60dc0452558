// keygate's codes as people say them: how an audited action ended, why a rotation is stuck, and who
// did it. The trail and rotations hold codes only (never a provider's message), so these words are
// all a reader gets.
import { PROVIDER_NAMES } from './api.js';

/** Each code: whether the action was refused (nothing done) or failed, and why, given who was asked. */
const REASONS = {
  BAD_USER_INPUT: ['Refused', () => 'the input was not valid'],
  UNAUTHENTICATED: ['Refused', (p) => `${p} did not accept the credential`],
  FORBIDDEN: ['Refused', () => 'not allowed'],
  NOT_FOUND: ['Failed', () => 'it no longer exists'],
  CONFLICT: ['Refused', () => 'the name is taken, or it is already under way'],
  UPSTREAM_TIMEOUT: ['Failed', (p) => `${p} did not answer in time`],
  UPSTREAM_UNAVAILABLE: ['Failed', (p) => `${p} could not be reached`],
  UPSTREAM_ERROR: ['Failed', (p) => `${p} answered with an error`],
  SERVICE_UNAVAILABLE: ['Refused', () => 'keygate was busy or shutting down'],
  INTERNAL_SERVER_ERROR: ['Failed', () => 'an error inside keygate'],
  INTERNAL_ERROR: ['Failed', () => 'an error inside keygate'],
  OLD_KEY_IN_USE: ['Held', () => 'the old key was used after the rotation began'],
  LOST_CLAIM: ['Handed over', () => 'another keygate instance took it over'],
  UNDELIVERED: ['Undelivered', () => 'the client left before the answer with the secret was sent; revoke that key'],
  REPLACEMENT_UNCERTAIN: ['Left for you', () => "this key may be the replacement or someone's own; revoke it if nobody holds its secret"],
};

/**
 * Why something went wrong, in a few words ("Octopus Deploy did not answer in time"). keygate's own
 * create limit refuses before any provider is named; a provider's 429 names it.
 */
export function reason(code, provider) {
  const who = PROVIDER_NAMES[provider] ?? 'the provider';
  if (code === 'RATE_LIMITED') return provider ? `${who} was limiting requests` : 'too many keys created';
  return REASONS[code]?.[1](who) ?? `ended with ${code}`;
}

/** How an audited action ended: "Done", or e.g. "Refused: too many keys created". */
export function outcome(code, provider) {
  if (code === 'OK') return 'Done';
  const kind = code === 'RATE_LIMITED' ? 'Refused' : (REASONS[code]?.[0] ?? 'Failed');
  return `${kind}: ${reason(code, provider)}`;
}

/** Who acted, for people: a token's name, a JWT's subject, an address, or keygate itself. */
export function who(client) {
  const [kind, ...rest] = client.split(':');
  const name = rest.join(':');
  if (kind === 'client') return name.startsWith('jwt:') ? `${name.slice(4)} (JWT)` : name;
  if (kind === 'keygate') return name === 'scheduler' ? 'keygate, on schedule' : 'keygate';
  return kind === 'ip' ? name : client;
}
