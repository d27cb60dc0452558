import { UpstreamError, providerNames, type Provider } from './errors.js';

// Readers for the providers' JSON: each checks one property and returns it as the domain wants it,
// or throws WireShapeError naming where the body went wrong. Hand-written rather than a schema
// library: a list of 10,000 keys is read on a hot path, and a schema library's copy of every record
// cost more CPU than everything else the clients do (bench/README.md). The rules are the documented
// ones (contracts/): unknown properties are ignored, absent and null are alike.

/** Where a body departs from the documented shape: a path such as `Items.3.Id`. */
export class WireShapeError extends Error {
  constructor(readonly path: (string | number)[] = []) {
    super('not the documented shape');
  }
}

export type WireObject = Record<string, unknown>;

/**
 * Reads a provider's response body with a reader. A body of another shape is the provider's fault
 * (`UPSTREAM_ERROR`, naming the first place it goes wrong), never an exception that escapes as a crash.
 */
export function readWire<T>(provider: Provider, read: (body: unknown) => T, body: unknown, what: string): T {
  try {
    return read(body);
  } catch (error) {
    if (!(error instanceof WireShapeError)) throw error;
    const where = error.path.length > 0 ? ` (at ${error.path.join('.')})` : '';
    throw new UpstreamError(provider, 'UPSTREAM_ERROR', `${providerNames[provider]} answered ${what} with a body that is not the documented JSON${where}.`);
  }
}

/**
 * Reads the answer to a create. The provider said yes (2xx) but a body of another shape holds no
 * secret keygate can hand on: the key may exist with its secret lost, so the error says the
 * request reached the provider.
 */
export function readCreated<T>(provider: Provider, status: number, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof UpstreamError)) throw error;
    throw new UpstreamError(provider, error.code, error.message, status, undefined, true);
  }
}

/**
 * The answer to a create, with every field it can do without that is of another shape left out.
 * That answer holds the new key's secret, which exists nowhere else: a date or a name keygate cannot
 * read shows as unknown rather than cost it. The ids and the secret are still read as documented.
 */
export function withoutUnreadable(value: unknown, optional: readonly (readonly [string, (o: WireObject, key: string) => unknown])[]): unknown {
  if (!isObject(value)) return value;
  let out: WireObject | undefined;
  for (const [key, read] of optional) {
    try {
      read(value, key);
    } catch (error) {
      if (!(error instanceof WireShapeError)) throw error;
      out ??= { ...value };
      delete out[key];
    }
  }
  return out ?? value;
}

const isObject = (value: unknown): value is WireObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A JSON object (not an array, not null). */
export function object(value: unknown): WireObject {
  if (!isObject(value)) throw new WireShapeError();
  return value;
}

/** What `read` makes of `o[key]`; a problem inside it is reported under `key`. */
export function field<T>(o: WireObject, key: string, read: (value: unknown) => T): T {
  try {
    return read(o[key]);
  } catch (error) {
    if (error instanceof WireShapeError) error.path.unshift(key);
    throw error;
  }
}

/** An array at `key`, each item read by `read`; a problem is reported under `key.index`. */
export function list<T>(o: WireObject, key: string, read: (value: unknown) => T): T[] {
  const items = o[key];
  if (!Array.isArray(items)) throw new WireShapeError([key]);
  const out = new Array<T>(items.length);
  for (let i = 0; i < items.length; i++) {
    try {
      out[i] = read(items[i]);
    } catch (error) {
      if (error instanceof WireShapeError) error.path.unshift(key, i);
      throw error;
    }
  }
  return out;
}

export function optionalString(o: WireObject, key: string): string | undefined {
  const value = o[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new WireShapeError([key]);
  return value;
}

/** An id, say: present and not empty. */
export function nonEmptyString(o: WireObject, key: string): string {
  const value = o[key];
  if (typeof value !== 'string' || value === '') throw new WireShapeError([key]);
  return value;
}

export function optionalBoolean(o: WireObject, key: string): boolean | undefined {
  const value = o[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new WireShapeError([key]);
  return value;
}

/** An integer JavaScript holds exactly. */
export function safeInteger(o: WireObject, key: string): number {
  const value = o[key];
  if (!Number.isSafeInteger(value)) throw new WireShapeError([key]);
  return value as number;
}

/** A count: a non-negative safe integer, or absent. */
export function optionalCount(o: WireObject, key: string): number | undefined {
  const value = o[key];
  if (value === undefined || value === null) return undefined;
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw new WireShapeError([key]);
  return value as number;
}

/** An object of strings (absent and null alike), such as Octopus' `Links`. */
export function optionalStringRecord(o: WireObject, key: string): WireObject | undefined {
  const value = o[key];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new WireShapeError([key]);
  for (const name of Object.keys(value)) {
    const entry = value[name];
    // The entry's name is the provider's own text, of any length: the error names only the record.
    if (entry !== undefined && entry !== null && typeof entry !== 'string') throw new WireShapeError([key]);
  }
  return value;
}

/** ISO-8601 with a zone, as Octopus sends it; null/absent is "no value". Parsed once, checked by the parse. */
export function optionalDate(o: WireObject, key: string): Date | undefined {
  const text = optionalString(o, key);
  return text === undefined ? undefined : toDate(text, key);
}

const NAIVE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/** ISO-8601 where a missing zone means UTC (JavaScript would read it as local time). */
export function optionalDateUtcDefault(o: WireObject, key: string): Date | undefined {
  const text = optionalString(o, key);
  return text === undefined ? undefined : toDate(NAIVE.test(text) ? `${text}Z` : text, key);
}

function toDate(text: string, key: string): Date {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new WireShapeError([key]);
  return date;
}

/** Path segments are always encoded: ids come from clients and must not steer the URL. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
