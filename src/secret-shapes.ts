/**
 * The shapes keygate's secrets and credentials have, for the places that must never hold one: the
 * store (a net under the rule that it holds no secret) and the inventory's metric labels (names a
 * person typed at the provider, shown on `/metrics` to anyone who can reach it).
 *
 * - Octopus API key: `API-` and 26 capitals or digits (gitleaks' `API-[A-Z0-9]{26}`; 20 or more to be safe)
 * - Hyperstack API key: a full UUID, 8-4-4-4-12 hex digits. The hint (last 4) is fine; the whole key is not.
 * - A JWT (a client's bearer credential): three base64url parts, the first a JSON header (`eyJ`).
 *
 * Hints (`API-ABCD`, the last four characters) do not match any of them.
 */
export const SECRET_SHAPES: readonly { kind: string; pattern: RegExp; identifier?: true }[] = [
  { kind: 'an Octopus API key', pattern: /API-[A-Z0-9]{20,}/ },
  // Also the shape of many identifiers (a JWT's subject, a proxy's request id): see `identifier`.
  { kind: 'a Hyperstack API key', pattern: /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i, identifier: true },
  // Only from the first `eyJ` of a run of token characters (`token_eyJ…` included): from every one
  // inside a run, the search would rescan to the run's end (a 60,000-character name took 2.9 s;
  // now 3 ms). The lookbehind stops at the nearest earlier `eyJ`, so it stays short.
  { kind: 'a JSON Web Token', pattern: /eyJ(?<!eyJ[\w-]*?eyJ)[\w-]{8,}\.[\w-]{8,}\.[\w-]*/ },
];

/**
 * The kind of secret `value` looks like, or undefined. With `identifier`, for a value that names a
 * client or a request: a UUID there is taken for what it usually is, an identifier.
 */
export function secretShape(value: string, options: { identifier?: boolean } = {}): string | undefined {
  return SECRET_SHAPES.find(({ pattern, identifier }) => !(options.identifier && identifier) && pattern.test(value))?.kind;
}

// Global copies for replacing: a global pattern's test() is stateful, so the shapes above stay plain.
const EVERY_MATCH = SECRET_SHAPES.map(({ pattern }) => new RegExp(pattern.source, `${pattern.flags}g`));

/** `text` with every run shaped like a secret replaced by `replacement`. */
export function cutSecrets(text: string, replacement: string): string {
  return EVERY_MATCH.reduce((value, pattern) => value.replace(pattern, replacement), text);
}
