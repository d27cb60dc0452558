import { z } from 'zod';

/** Where one provider is and the credential the gateway holds for it (a request may bring its own). */
export interface ProviderConfig {
  /** Base URL requests are appended to: Octopus `…/api`, Hyperstack `…/v1`. */
  baseUrl: string;
  apiKey?: string;
}

export interface Config {
  port: number;
  host: string;
  /** Start the built-in simulators and point the providers at them. */
  demo: boolean;
  production: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Absent when `OCTOPUS_URL` is not set (and not in demo mode): the gateway then serves Hyperstack only. */
  octopus?: ProviderConfig;
  hyperstack: ProviderConfig;
  upstream: {
    timeoutMs: number;
    retries: number;
    connections: number;
    breakerThreshold: number;
    breakerHalfOpenAfterMs: number;
  };
  /** How long the Octopus user behind a credential is remembered (`GET /api/users/me`). */
  octopusUserTtlMs: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const url = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''));
const secret = z.string().trim().min(1);

const Env = z.object({
  PORT: int(0, 65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  NODE_ENV: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DEMO: flag.optional(),
  OCTOPUS_URL: url.optional(),
  OCTOPUS_API_KEY: secret.optional(),
  HYPERSTACK_URL: url.default('https://infrahub-api.nexgencloud.com/v1'),
  HYPERSTACK_API_KEY: secret.optional(),
  UPSTREAM_TIMEOUT_MS: int(1, 600_000).default(10_000),
  UPSTREAM_RETRIES: int(0, 10).default(2),
  UPSTREAM_CONNECTIONS: int(1, 1024).default(32),
  CIRCUIT_BREAKER_THRESHOLD: int(0, 1000).default(5),
  CIRCUIT_BREAKER_RESET_MS: int(1, 3_600_000).default(10_000),
  OCTOPUS_USER_CACHE_TTL_MS: int(0, 86_400_000).default(60_000),
});

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
  const demo = e.DEMO ?? (e.OCTOPUS_URL === undefined && e.HYPERSTACK_API_KEY === undefined);
  return {
    port: e.PORT,
    host: e.HOST,
    demo,
    production: e.NODE_ENV === 'production',
    logLevel: e.LOG_LEVEL,
    octopus: e.OCTOPUS_URL ? { baseUrl: `${e.OCTOPUS_URL}/api`, apiKey: e.OCTOPUS_API_KEY } : undefined,
    hyperstack: { baseUrl: e.HYPERSTACK_URL, apiKey: e.HYPERSTACK_API_KEY },
    upstream: {
      timeoutMs: e.UPSTREAM_TIMEOUT_MS,
      retries: e.UPSTREAM_RETRIES,
      connections: e.UPSTREAM_CONNECTIONS,
      breakerThreshold: e.CIRCUIT_BREAKER_THRESHOLD,
      breakerHalfOpenAfterMs: e.CIRCUIT_BREAKER_RESET_MS,
    },
    octopusUserTtlMs: e.OCTOPUS_USER_CACHE_TTL_MS,
  };
}

/** Shows what was given, except for secrets: their value never reaches a message. */
function describeValue(name: string, value: string | undefined): string {
  if (value === undefined) return 'nothing';
  if (/KEY|TOKEN|SECRET|PASSWORD/.test(name)) return 'a value (hidden)';
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}
