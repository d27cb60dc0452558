import { z } from 'zod';
import { UpstreamError, providerNames, type Provider } from './errors.js';

/**
 * Reads a provider's response body through its wire schema. A body of another shape is the
 * provider's fault (`UPSTREAM_ERROR`), never an exception that escapes as a crash.
 */
export function readWire<S extends z.ZodType>(provider: Provider, schema: S, body: unknown, what: string): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` (at ${issue.path.join('.')})` : '';
  throw new UpstreamError(
    provider,
    'UPSTREAM_ERROR',
    `${providerNames[provider]} answered ${what} with a body that is not the documented JSON${where}.`,
  );
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

/** A date string to a Date in one pass (no second parse to validate): an invalid one is an issue. */
function toDate(text: string, ctx: z.core.$RefinementCtx<string>): Date {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) {
    ctx.issues.push({ code: 'custom', message: 'not a date', input: text });
    return z.NEVER;
  }
  return date;
}

/** ISO-8601 with a zone, as Octopus sends it; null/absent is "no value". */
export const isoDate = z.string().transform(toDate);

const NAIVE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/** ISO-8601 where a missing zone means UTC (JavaScript would read it as local time). */
export const isoDateUtcDefault = z.string().transform((text, ctx) => toDate(NAIVE.test(text) ? `${text}Z` : text, ctx));

/** Path segments are always encoded: ids come from clients and must not steer the URL. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
