import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_ACCOUNT, type Policy, type Provider } from './domain.js';
import { parseDatabaseUrl } from './store/db.js';
import { AccountsError, HYPERSTACK_DEFAULT_URL, assertUniqueNames, canonicalUrl, readAccountsFile, type AccountConfig } from './config/accounts.js';

export type { AccountConfig };

/** A static bearer token a client may present, with the name logs and rate limits know it by. */
export interface GatewayToken {
  name: string;
  token: string;
}

/** A name the gateway answers to (ALLOWED_HOSTS): `example.com`, `example.com:8443`, or `.example.com` for it and its subdomains. */
export interface AllowedHost {
  /** Lower case; an IPv6 address in brackets. */
  name: string;
  /** Only this port when given; any port (or none) otherwise. */
  port?: number;
  /** `.example.com`: the name itself and every subdomain. */
  subdomains: boolean;
}

export interface Config {
  port: number;
  host: string;
  /**
   * Names the gateway answers to besides the loopback names (which it always answers to on its
   * own port): a request for any other Host is refused, so a page on another site cannot reach the
   * gateway by pointing its own name at the gateway's address (DNS rebinding).
   */
  allowedHosts: AllowedHost[];
  /** Start the built-in simulators and point the providers at them. */
  demo: boolean;
  production: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * Every account the gateway serves: the `default` one of each provider from today's variables,
   * plus those of the KEYGATE_CONFIG file. A provider with no account is left out entirely.
   */
  accounts: AccountConfig[];
  upstream: {
    timeoutMs: number;
    retries: number;
    connections: number;
    breakerThreshold: number;
    breakerHalfOpenAfterMs: number;
    /** Response bodies larger than this are refused (Hyperstack lists every key in one body). */
    maxResponseBytes: number;
  };
  /** How key lists are read: caching across requests, sharing flights, bounds on memory and calls. */
  lists: {
    /** Key metadata (never a secret) is remembered this long per credential; 0: off. */
    cacheTtlMs: number;
    /** Identical list loads in flight at once share one upstream call. */
    dedupe: boolean;
    /** `take` of each Octopus page when a whole list is read. */
    octopusPageSize: number;
    /** Whole-list reads (walks) running at once, process-wide; more wait, then get SERVICE_UNAVAILABLE. */
    heavyConcurrency: number;
    heavyWaitMs: number;
    /** Keys whole-list reads may hold at once, process-wide; unset: derived from V8's heap limit. */
    heavyKeys?: number;
    /** A list longer than this is refused rather than held in memory. */
    maxKeys: number;
  };
  /** Upstream calls one GraphQL operation may cause. */
  maxUpstreamCalls: number;
  /** How long /readyz remembers whether the configured credentials are accepted. */
  readinessCredentialCheckMs: number;
  /** The governance thresholds behind ApiKey.risks. */
  policy: Policy;
  /** How long the Octopus user behind a credential is remembered (`GET /api/users/me`). */
  octopusUserTtlMs: number;
  /** Who may call the gateway. Both empty: anyone who can reach it. */
  auth: {
    tokens: GatewayToken[];
    jwt?: { jwksUrl: string; issuer: string; audience: string };
  };
  limits: {
    maxBodyBytes: number;
    maxDepth: number;
    maxAliases: number;
    maxDirectives: number;
    maxTokens: number;
    maxCost: number;
  };
  /** Trusted documents: only these operations (id → document) are accepted. */
  persistedOperations?: Map<string, string>;
  /** Origins allowed to call from a browser on another origin; empty: same-origin only. */
  corsOrigins: string[];
  introspection: boolean;
  graphiql: boolean;
  /** Keys one client may create per window (both providers together); 0 turns the limit off. */
  createRateLimit: { points: number; windowSeconds: number; redisUrl?: string };
  /** Take the client address from X-Forwarded-For (only behind a proxy that sets it). */
  trustProxy: boolean;
  /**
   * After SIGTERM, how long in-flight requests may take before their connections are cut. At least
   * twice UPSTREAM_TIMEOUT_MS: a create may wait that long for a connection, then that long for the provider.
   */
  shutdownGraceMs: number;
  /** The store: audit trail and rotations (DATABASE_URL; unset: SQLite under ./data, a temporary file in demo mode). */
  store: {
    databaseUrl?: string;
    auditRetentionDays: number;
  };
  rotation: {
    /** The longest overlap rotateApiKey accepts, in seconds. */
    maxOverlapSeconds: number;
    /** How often the scheduler looks for old keys due to be revoked (and crashed rotations). */
    schedulerIntervalMs: number;
    /** How long after its last recorded step a rotation still making its new key is taken for crashed. */
    recoveryDelayMs: number;
  };
  /** The background inventory behind the key gauges on /metrics (configured credentials only). */
  inventory: {
    /** Between refreshes; 0 turns the inventory off. */
    refreshMs: number;
    /** At most this many `keygate_api_key_expiry_timestamp_seconds` series (the soonest-expiring keys). */
    maxExpirySeries: number;
  };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
// A user name or password in a provider URL would travel with every request and show up wherever
// the URL is printed: credentials have their own variables.
const url = z
  .url({ protocol: /^https?$/ })
  .refine((u) => !hasUserinfo(u), 'must not carry a user name or password (use the API key variables for credentials)')
  .transform(canonicalUrl);
// keygate appends its API paths: after a query or fragment they would silently go nowhere.
const providerUrl = url.refine((u) => !/[?#]/.test(u), 'must not carry a query string or fragment');
// Its keys decide which client tokens are accepted: fetched in cleartext, anyone on the path could
// swap them and sign tokens of their own.
const jwksUrl = url.refine((u) => new URL(u).protocol === 'https:' || isLoopback(new URL(u).hostname), 'must use https (except on a loopback address)');
const secret = z.string().trim().min(1);
const list = z.string().transform((s) => s.split(',').map((item) => item.trim()).filter(Boolean));
// A browser's Origin header is scheme, host and port, nothing more: anything else never matches.
const origins = list.refine(
  (items) => items.every((o) => o === '*' || (URL.canParse(o) && new URL(o).origin === o)),
  'each must be an origin such as https://console.example (no path, no trailing slash), or *',
);

const Env = z.object({
  PORT: int(0, 65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  ALLOWED_HOSTS: list.optional(),
  NODE_ENV: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DEMO: flag.optional(),
  OCTOPUS_URL: providerUrl.optional(),
  OCTOPUS_API_KEY: secret.optional(),
  HYPERSTACK_URL: providerUrl.optional(),
  HYPERSTACK_API_KEY: secret.optional(),
  HYPERSTACK_ACCESS_TOKEN: secret.optional(),
  KEYGATE_CONFIG: z.string().min(1).optional(),
  UPSTREAM_MAX_RESPONSE_BYTES: int(65_536, 1_073_741_824).default(8 * 1024 * 1024),
  LIST_CACHE_TTL_MS: int(0, 600_000).default(5_000),
  UPSTREAM_DEDUPE: flag.default(true),
  OCTOPUS_PAGE_SIZE: int(1, 10_000).default(1_000),
  HEAVY_LIST_CONCURRENCY: int(1, 1_000).default(4),
  HEAVY_LIST_WAIT_MS: int(0, 60_000).default(2_000),
  HEAVY_LIST_KEYS: int(1, 100_000_000).optional(),
  MAX_LIST_KEYS: int(100, 10_000_000).default(250_000),
  MAX_UPSTREAM_CALLS: int(1, 100_000).default(250),
  READYZ_CREDENTIAL_CHECK_MS: int(1_000, 3_600_000).default(60_000),
  EXPIRY_WARNING_DAYS: int(0, 3650).default(30),
  MAX_KEY_AGE_DAYS: int(1, 36500).default(90),
  UNUSED_DAYS: int(1, 36500).default(90),
  UPSTREAM_TIMEOUT_MS: int(1, 600_000).default(10_000),
  UPSTREAM_RETRIES: int(0, 10).default(2),
  UPSTREAM_CONNECTIONS: int(1, 1024).default(32),
  CIRCUIT_BREAKER_THRESHOLD: int(0, 1000).default(5),
  CIRCUIT_BREAKER_RESET_MS: int(1, 3_600_000).default(10_000),
  OCTOPUS_USER_CACHE_TTL_MS: int(0, 86_400_000).default(60_000),
  GATEWAY_TOKENS: list.optional(),
  JWT_JWKS_URL: jwksUrl.optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  ALLOW_UNAUTHENTICATED: flag.default(false),
  MAX_BODY_BYTES: int(1_024, 10_000_000).default(100_000),
  MAX_DEPTH: int(1, 100).default(8),
  MAX_ALIASES: int(0, 1000).default(15),
  MAX_DIRECTIVES: int(0, 1000).default(20),
  MAX_TOKENS: int(100, 100_000).default(2_000),
  MAX_COST: int(10, 10_000_000).default(25_000),
  PERSISTED_OPERATIONS_FILE: z.string().min(1).optional(),
  CORS_ORIGINS: origins.optional(),
  INTROSPECTION: flag.default(true),
  GRAPHIQL: flag.default(true),
  CREATE_RATE_LIMIT: int(0, 1_000_000).default(20),
  CREATE_RATE_LIMIT_WINDOW_S: int(1, 86_400).default(600),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  TRUST_PROXY: flag.default(false),
  SHUTDOWN_GRACE_MS: int(0, 1_200_000).optional(),
  INVENTORY_REFRESH_S: int(0, 86_400).default(300),
  DATABASE_URL: z.string().trim().min(1).optional(),
  AUDIT_RETENTION_DAYS: int(1, 36_500).default(365),
  ROTATION_MAX_OVERLAP_S: int(0, 90 * 86_400).default(30 * 86_400),
  ROTATION_SCHEDULER_INTERVAL_MS: int(100, 3_600_000).default(30_000),
  ROTATION_RECOVERY_DELAY_MS: int(1_000, 86_400_000).optional(),
  INVENTORY_MAX_EXPIRY_SERIES: int(0, 100_000).default(1_000),
});

type Env = z.output<typeof Env>;

/** Reads the environment into a typed Config; a bad value throws a ConfigError naming the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable is the same as an unset one (common in compose files and CI).
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = Env.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      return `${name}: ${issue.message} (got ${describeValue(name, present[name])})`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  if (e.OCTOPUS_API_KEY && !e.OCTOPUS_URL) {
    // Otherwise the key would be ignored (and, with nothing else set, demo mode would start).
    throw new ConfigError('OCTOPUS_API_KEY: set OCTOPUS_URL as well, to say which Octopus server the key is for.');
  }
  const accounts = loadAccounts(e, env);
  const demo = e.DEMO ?? accounts.length === 0;
  if (demo && e.DEMO === undefined && !isLoopback(e.HOST)) {
    throw new ConfigError(
      `HOST=${e.HOST}: with no provider configured keygate would start demo mode (simulators, no client authentication) ` +
        'on an address other machines can reach. Configure providers (OCTOPUS_URL, HYPERSTACK_API_KEY, KEYGATE_CONFIG), listen on loopback, ' +
        'or set DEMO=1 to serve the demo there on purpose.',
    );
  }
  const config: Config = {
    port: e.PORT,
    host: e.HOST,
    allowedHosts: parseAllowedHosts(e.HOST, e.ALLOWED_HOSTS),
    demo,
    production: e.NODE_ENV === 'production',
    logLevel: e.LOG_LEVEL,
    accounts,
    upstream: {
      timeoutMs: e.UPSTREAM_TIMEOUT_MS,
      retries: e.UPSTREAM_RETRIES,
      connections: e.UPSTREAM_CONNECTIONS,
      breakerThreshold: e.CIRCUIT_BREAKER_THRESHOLD,
      breakerHalfOpenAfterMs: e.CIRCUIT_BREAKER_RESET_MS,
      maxResponseBytes: e.UPSTREAM_MAX_RESPONSE_BYTES,
    },
    lists: {
      cacheTtlMs: e.LIST_CACHE_TTL_MS,
      dedupe: e.UPSTREAM_DEDUPE,
      octopusPageSize: e.OCTOPUS_PAGE_SIZE,
      heavyConcurrency: e.HEAVY_LIST_CONCURRENCY,
      heavyWaitMs: e.HEAVY_LIST_WAIT_MS,
      heavyKeys: e.HEAVY_LIST_KEYS,
      maxKeys: e.MAX_LIST_KEYS,
    },
    maxUpstreamCalls: e.MAX_UPSTREAM_CALLS,
    readinessCredentialCheckMs: e.READYZ_CREDENTIAL_CHECK_MS,
    policy: { expiryWarningDays: e.EXPIRY_WARNING_DAYS, maxKeyAgeDays: e.MAX_KEY_AGE_DAYS, unusedDays: e.UNUSED_DAYS },
    octopusUserTtlMs: e.OCTOPUS_USER_CACHE_TTL_MS,
    auth: { tokens: parseTokens(e.GATEWAY_TOKENS ?? []), jwt: parseJwt(e) },
    limits: {
      maxBodyBytes: e.MAX_BODY_BYTES,
      maxDepth: e.MAX_DEPTH,
      maxAliases: e.MAX_ALIASES,
      maxDirectives: e.MAX_DIRECTIVES,
      maxTokens: e.MAX_TOKENS,
      maxCost: e.MAX_COST,
    },
    persistedOperations: e.PERSISTED_OPERATIONS_FILE ? readPersistedOperations(e.PERSISTED_OPERATIONS_FILE) : undefined,
    corsOrigins: e.CORS_ORIGINS ?? [],
    introspection: e.INTROSPECTION,
    graphiql: e.GRAPHIQL,
    createRateLimit: { points: e.CREATE_RATE_LIMIT, windowSeconds: e.CREATE_RATE_LIMIT_WINDOW_S, redisUrl: e.REDIS_URL },
    trustProxy: e.TRUST_PROXY,
    shutdownGraceMs: shutdownGrace(e.SHUTDOWN_GRACE_MS, e.UPSTREAM_TIMEOUT_MS),
    inventory: { refreshMs: e.INVENTORY_REFRESH_S * 1000, maxExpirySeries: e.INVENTORY_MAX_EXPIRY_SERIES },
    store: { databaseUrl: checkDatabaseUrl(e.DATABASE_URL), auditRetentionDays: e.AUDIT_RETENTION_DAYS },
    rotation: {
      maxOverlapSeconds: e.ROTATION_MAX_OVERLAP_S,
      schedulerIntervalMs: e.ROTATION_SCHEDULER_INTERVAL_MS,
      recoveryDelayMs: recoveryDelay(e.ROTATION_RECOVERY_DELAY_MS, e.UPSTREAM_TIMEOUT_MS),
    },
  };
  assertSafeExposure(config, e.ALLOW_UNAUTHENTICATED);
  return config;
}

/**
 * The `default` account of each provider from today's variables, then the KEYGATE_CONFIG file's.
 * Octopus needs OCTOPUS_URL; Hyperstack is served when HYPERSTACK_URL or a Hyperstack credential is set.
 */
function loadAccounts(e: Env, env: Record<string, string | undefined>): AccountConfig[] {
  const accounts: AccountConfig[] = [];
  if (e.OCTOPUS_URL) {
    accounts.push({ name: DEFAULT_ACCOUNT, provider: 'OCTOPUS', baseUrl: `${e.OCTOPUS_URL}/api`, apiKey: e.OCTOPUS_API_KEY });
  }
  if (e.HYPERSTACK_URL || e.HYPERSTACK_API_KEY || e.HYPERSTACK_ACCESS_TOKEN) {
    accounts.push({
      name: DEFAULT_ACCOUNT,
      provider: 'HYPERSTACK',
      baseUrl: e.HYPERSTACK_URL ?? HYPERSTACK_DEFAULT_URL,
      apiKey: e.HYPERSTACK_API_KEY,
      accessToken: e.HYPERSTACK_ACCESS_TOKEN,
    });
  }
  if (e.KEYGATE_CONFIG) {
    try {
      accounts.push(...readAccountsFile(e.KEYGATE_CONFIG, env));
      assertUniqueNames(accounts);
    } catch (error) {
      if (error instanceof AccountsError) throw new ConfigError(error.message);
      throw error;
    }
  }
  return accounts;
}

/** DATABASE_URL must name a store keygate can open; the message never shows a password. */
function checkDatabaseUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    parseDatabaseUrl(url);
  } catch (error) {
    throw new ConfigError(`DATABASE_URL: ${(error as Error).message}`);
  }
  return url;
}

/** The accounts of one provider. */
export function accountsOf(config: Pick<Config, 'accounts'>, provider: Provider): AccountConfig[] {
  return config.accounts.filter((account) => account.provider === provider);
}

/**
 * ALLOWED_HOSTS entries, as Vite's `server.allowedHosts` and webpack-dev-server's `allowedHosts`
 * write them: `keygate.example.com`, `.example.com` (the name and every subdomain), an IP address,
 * each optionally with `:port` (without one, any port matches: behind a proxy the port clients use
 * is not the one the gateway listens on). `*` and `*.example.com` are refused: the first would
 * undo the protection, and the second is written `.example.com` here.
 */
function parseAllowedHosts(host: string, entries: string[] | undefined): AllowedHost[] {
  if (!entries?.length) {
    if (isLoopback(host)) return [];
    throw new ConfigError(
      `HOST=${host}: set ALLOWED_HOSTS to the names clients use to reach keygate (for example ALLOWED_HOSTS=keygate.example.com), ` +
        'comma-separated. keygate refuses requests for any other Host, so that a web page on another site cannot reach it ' +
        'by pointing its own name at this address (DNS rebinding).',
    );
  }
  return entries.map((entry) => {
    // A name (not an IPv6 literal) may end in the root's dot, fully qualified; the host check
    // compares names without it.
    const match = /^(\.)?((?:[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*|\[[0-9a-f:.]+\])(?:(?<!\])\.)?(?::(\d{1,5}))?$/i.exec(entry);
    const port = match?.[3] === undefined ? undefined : Number(match[3]);
    if (!match || (port !== undefined && (port < 1 || port > 65535)) || (match[1] && match[2]!.startsWith('['))) {
      const hint = entry.startsWith('*') ? ` Write ${entry === '*' ? 'each name' : `"${entry.slice(1)}"`} instead: a leading dot allows a name and its subdomains.` : '';
      throw new ConfigError(
        `ALLOWED_HOSTS: "${entry.slice(0, 80)}" is not a host name, IP address or .domain, with an optional :port.${hint}`,
      );
    }
    return { name: match[2]!.toLowerCase(), port, subdomains: match[1] === '.' };
  });
}

/**
 * A create in flight at SIGTERM may wait UPSTREAM_TIMEOUT_MS for a connection and as long again
 * for the provider; a shorter grace period would cut it after the key exists and before its secret
 * reaches anyone.
 */
function shutdownGrace(graceMs: number | undefined, upstreamTimeoutMs: number): number {
  const needed = 2 * upstreamTimeoutMs;
  if (graceMs === undefined) return Math.max(10_000, needed);
  if (graceMs < needed) {
    throw new ConfigError(
      `SHUTDOWN_GRACE_MS=${graceMs} is shorter than twice UPSTREAM_TIMEOUT_MS (${needed} ms): a key being created at ` +
        'shutdown could be cut off after the provider made it and before its secret reached anyone. Raise SHUTDOWN_GRACE_MS ' +
        'or lower UPSTREAM_TIMEOUT_MS.',
    );
  }
  return graceMs;
}

/**
 * A rotation making its new key may still be running on some instance for four upstream timeouts
 * after its last recorded step (a Hyperstack one renames the old key, then creates: each may wait
 * the timeout for a connection and as long for the provider), and then it records the new key in
 * the store. Recovery must not take it for crashed before that: it would revoke a key whose secret
 * is on its way to a client. The default adds a minute for the store's write (retried, each try
 * bounded by the store's own timeouts) and for the instances' clocks, which may differ.
 */
function recoveryDelay(delayMs: number | undefined, upstreamTimeoutMs: number): number {
  const needed = 4 * upstreamTimeoutMs + 1_000;
  if (delayMs === undefined) return 4 * upstreamTimeoutMs + 60_000;
  if (delayMs < needed) {
    throw new ConfigError(
      `ROTATION_RECOVERY_DELAY_MS=${delayMs} is shorter than four times UPSTREAM_TIMEOUT_MS and a second (${needed} ms): ` +
        'recovery could revoke a replacement another instance is still making, whose secret is on its way to a client. ' +
        'Raise ROTATION_RECOVERY_DELAY_MS or lower UPSTREAM_TIMEOUT_MS.',
    );
  }
  return delayMs;
}

/** `name:token` pairs, or bare tokens (named token-1, token-2, …). Short tokens are refused. */
function parseTokens(entries: string[]): GatewayToken[] {
  return entries.map((entry, i) => {
    const colon = entry.indexOf(':');
    const [name, token] = colon > 0 ? [entry.slice(0, colon), entry.slice(colon + 1)] : [`token-${i + 1}`, entry];
    if (token.length < 16) {
      // By its place only: what reads as its name may be the first part of a token with a colon in it.
      throw new ConfigError(`GATEWAY_TOKENS: token ${i + 1} is shorter than 16 characters (after the name, up to the first colon); use long random tokens.`);
    }
    if (!/^[\w.-]{1,64}$/.test(name)) throw new ConfigError(`GATEWAY_TOKENS: token ${i + 1} has an invalid name.`);
    return { name, token };
  });
}

function parseJwt(e: Env): Config['auth']['jwt'] {
  if (!e.JWT_JWKS_URL) {
    if (e.JWT_ISSUER || e.JWT_AUDIENCE) throw new ConfigError('JWT_ISSUER/JWT_AUDIENCE: set JWT_JWKS_URL as well, or neither.');
    return undefined;
  }
  // Without issuer and audience any token signed by that key set would do, including ones meant
  // for other services: require both.
  if (!e.JWT_ISSUER || !e.JWT_AUDIENCE) {
    throw new ConfigError('JWT_JWKS_URL: also set JWT_ISSUER and JWT_AUDIENCE, so tokens issued for other services are refused.');
  }
  return { jwksUrl: e.JWT_JWKS_URL, issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE };
}

/** A JSON object of operation id → GraphQL document (the format of most trusted-document tools). */
function readPersistedOperations(file: string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`PERSISTED_OPERATIONS_FILE: cannot read ${file} as JSON (${(error as Error).message}).`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`PERSISTED_OPERATIONS_FILE: ${file} must be a JSON object of id → GraphQL document.`);
  }
  const entries = Object.entries(parsed);
  if (entries.length === 0 || entries.some(([, doc]) => typeof doc !== 'string')) {
    throw new ConfigError(`PERSISTED_OPERATIONS_FILE: ${file} must map each id to a GraphQL document string.`);
  }
  return new Map(entries as [string, string][]);
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1';
}

export function hasClientAuth(config: Pick<Config, 'auth'>): boolean {
  return config.auth.tokens.length > 0 || config.auth.jwt !== undefined;
}

/**
 * A gateway that holds provider credentials lets whoever reaches it mint keys with them. Refuse to
 * listen beyond loopback without client authentication, unless the operator says so explicitly.
 */
function assertSafeExposure(config: Config, allowUnauthenticated: boolean): void {
  const holdsCredentials = config.accounts.some((account) => account.apiKey || account.accessToken);
  if (holdsCredentials && !hasClientAuth(config) && !isLoopback(config.host) && !allowUnauthenticated) {
    throw new ConfigError(
      `HOST=${config.host}: the gateway holds provider credentials (OCTOPUS_API_KEY, HYPERSTACK_API_KEY or KEYGATE_CONFIG accounts), so anyone who can reach it ` +
        'could create and revoke keys with them. Configure client authentication (GATEWAY_TOKENS, or JWT_JWKS_URL with ' +
        'JWT_ISSUER and JWT_AUDIENCE), listen on loopback, or set ALLOW_UNAUTHENTICATED=1 if something in front of the gateway ' +
        'already authenticates callers.',
    );
  }
}

/**
 * Shows what was given, except for secrets: their value never reaches a message, and neither does
 * the user name, password or query string of a URL.
 */
function describeValue(name: string, value: string | undefined): string {
  if (value === undefined) return 'nothing';
  if (/KEY|TOKEN|SECRET|PASSWORD|REDIS_URL|DATABASE_URL/.test(name)) return 'a value (hidden)';
  const shown = withoutUrlSecrets(value);
  return JSON.stringify(shown.length > 80 ? `${shown.slice(0, 80)}…` : shown);
}

/**
 * A URL-like value with everything before its last `@` (a `?` or `#` in a password included) and
 * after its `?` or `#` hidden, however malformed it is: a value that fails to parse is the one
 * echoed in the error (`https:/u:p@host`, `u:p@host` and `host/?apikey=…` have no `scheme://` to
 * go by).
 */
function withoutUrlSecrets(value: string): string {
  const [, scheme = '', userinfo, rest = '', query] = /^([a-z][a-z0-9+.-]*:\/+)?(.*@)?([^?#]*)(.*)$/is.exec(value)!;
  return `${scheme}${userinfo ? '[hidden]@' : ''}${rest}${query ? '?[hidden]' : ''}`;
}

function hasUserinfo(value: string): boolean {
  try {
    const parsed = new URL(value);
    return parsed.username !== '' || parsed.password !== '';
  } catch {
    return false;
  }
}
