// Accounts: one provider base URL plus one credential, under a short name. Read from the file named
// by KEYGATE_CONFIG (YAML or JSON), and from today's variables, which define the `default` account
// of each provider. A credential is never written in the file: it names an environment variable or
// a file (container secrets) to read it from.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_ACCOUNT, type Provider } from '../domain.js';

export interface AccountConfig {
  /** Unique per provider; part of every global id of the account's keys. */
  name: string;
  provider: Provider;
  /** Base URL requests are appended to: Octopus `…/api`, Hyperstack `…/v1`. */
  baseUrl: string;
  /** Octopus: sent as `X-Octopus-ApiKey`; Hyperstack: sent as header `api_key`. */
  apiKey?: string;
  /** Hyperstack only: a login access token, sent as `Authorization: Bearer …` (key generation needs it on servers that follow the seed). */
  accessToken?: string;
  /** An account of KEYGATE_CONFIG: it acts with its own credential only, never a request's, even when named `default`. */
  fromFile?: true;
}

export class AccountsError extends Error {
  override readonly name = 'AccountsError';
}

export const ACCOUNT_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;
export const HYPERSTACK_DEFAULT_URL = 'https://infrahub-api.nexgencloud.com/v1';

const source = z.union(
  [z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name') }), z.strictObject({ file: z.string().min(1) })],
  { error: 'must be { env: NAME } or { file: /path }' },
);
/**
 * One spelling per server (host in lower case, no default port, no trailing slash): accounts on one
 * server share a connection pool, a breaker and cache invalidation, and the leaked-secret search
 * asks each server once.
 */
export function canonicalUrl(value: string): string {
  return new URL(value).href.replace(/\/+$/, '');
}

const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .refine((u) => !/^[a-z]+:\/\/[^/]*@/i.test(u), 'must not hold a user name or password (credentials go in apiKeyFrom)')
  .refine((u) => !/[?#]/.test(u), 'must not carry a query string or fragment (keygate appends its API paths)')
  .transform(canonicalUrl);

const AccountEntry = z
  .strictObject({
    name: z.string().regex(ACCOUNT_NAME, 'must be 1-32 lower-case letters, digits, - or _, starting with a letter or digit'),
    provider: z.enum(['octopus', 'hyperstack', 'OCTOPUS', 'HYPERSTACK']).transform((p) => p.toUpperCase() as Provider),
    url: httpUrl.optional(),
    apiKeyFrom: source.optional(),
    accessTokenFrom: source.optional(),
    // Refused with a clear message instead of "unrecognized key": a credential never sits in the file.
    apiKey: z.never({ error: 'credentials are never written in the file: use apiKeyFrom: { env: NAME } or { file: /path }' }).optional(),
    accessToken: z.never({ error: 'credentials are never written in the file: use accessTokenFrom: { env: NAME } or { file: /path }' }).optional(),
  })
  .superRefine((entry, ctx) => {
    if (entry.provider === 'OCTOPUS' && !entry.url) ctx.addIssue({ code: 'custom', path: ['url'], message: 'is required for an Octopus account' });
    if (entry.provider === 'OCTOPUS' && entry.accessTokenFrom) {
      ctx.addIssue({ code: 'custom', path: ['accessTokenFrom'], message: 'is for Hyperstack accounts only' });
    }
  });
const AccountsFile = z.strictObject({ accounts: z.array(AccountEntry).min(1, 'must list at least one account') });

/** Reads a credential reference; a missing or empty one is an error that names the account. */
function readCredential(where: string, ref: z.output<typeof source>, env: Record<string, string | undefined>): string {
  if ('env' in ref) {
    const value = env[ref.env]?.trim();
    if (!value) throw new AccountsError(`${where}: environment variable ${ref.env} is not set or empty.`);
    return value;
  }
  let value: string;
  try {
    value = readFileSync(ref.file, 'utf8').trim();
  } catch (error) {
    throw new AccountsError(`${where}: cannot read ${ref.file} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
  if (!value) throw new AccountsError(`${where}: ${ref.file} is empty.`);
  return value;
}

/** The accounts of a KEYGATE_CONFIG file, validated, credentials read. Messages name the account and field. */
export function readAccountsFile(path: string, env: Record<string, string | undefined>): AccountConfig[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AccountsError(`KEYGATE_CONFIG: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
  let raw: unknown;
  try {
    raw = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new AccountsError(`KEYGATE_CONFIG: ${path} is not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'} (${parseProblem((error as Error).message)}).`);
  }
  const parsed = AccountsFile.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${describePath(raw, issue.path)}: ${issue.message}`);
    throw new AccountsError(`KEYGATE_CONFIG ${path}:\n  ${problems.join('\n  ')}`);
  }
  const accounts = parsed.data.accounts.map((entry, i): AccountConfig => {
    const where = `KEYGATE_CONFIG accounts[${i}] (${entry.name})`;
    const baseUrl = entry.provider === 'OCTOPUS' ? `${entry.url!}/api` : (entry.url ?? HYPERSTACK_DEFAULT_URL);
    return {
      name: entry.name,
      provider: entry.provider,
      baseUrl,
      apiKey: entry.apiKeyFrom ? readCredential(`${where}.apiKeyFrom`, entry.apiKeyFrom, env) : undefined,
      accessToken: entry.accessTokenFrom ? readCredential(`${where}.accessTokenFrom`, entry.accessTokenFrom, env) : undefined,
      fromFile: true,
    };
  });
  return accounts;
}

/** Refuses two accounts with one name at one provider (the name is part of every key's global id). */
export function assertUniqueNames(accounts: AccountConfig[]): void {
  const seen = new Set<string>();
  for (const account of accounts) {
    const key = `${account.provider}/${account.name}`;
    if (seen.has(key)) {
      throw new AccountsError(
        account.name === DEFAULT_ACCOUNT
          ? `KEYGATE_CONFIG defines a ${account.provider.toLowerCase()} account named "default", and so do the environment variables; remove one.`
          : `KEYGATE_CONFIG: two ${account.provider.toLowerCase()} accounts are named "${account.name}".`,
      );
    }
    seen.add(key);
  }
}

function describePath(raw: unknown, path: PropertyKey[]): string {
  if (path[0] !== 'accounts' || typeof path[1] !== 'number') return path.join('.') || 'file';
  const entry = (raw as { accounts?: { name?: unknown }[] }).accounts?.[path[1]];
  const name = typeof entry?.name === 'string' ? ` (${entry.name.slice(0, 40)})` : '';
  const field = path.slice(2).join('.');
  return `accounts[${path[1]}]${name}${field ? `.${field}` : ''}`;
}

const firstLine = (text: string) => text.split('\n')[0]!.slice(0, 200);

/**
 * A parser's complaint without the text it quotes: V8 quotes the JSON around the error (`Unexpected
 * token 'A', "…":API-ABCDEF"… is not valid JSON`), where an unquoted credential would be. YAML's
 * snippet is on the lines after the first.
 */
const parseProblem = (message: string) => firstLine(message.replace(/,?\s*(\.\.\.)?"[\s\S]*$/, ''));
