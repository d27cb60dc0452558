import type { Plugin } from 'graphql-yoga';
import { isLoopback, type AllowedHost, type Config } from '../config.js';

/** What a request's Host is checked against: ALLOWED_HOSTS, and the port the gateway listens on. */
export interface HostPolicy {
  allowed: readonly AllowedHost[];
  /** The loopback names are answered on this port only (the real one once listening, also with PORT=0). */
  port: number;
}

export type HostVerdict = { allowed: true } | { allowed: false; status: 400 | 421; message: string };

/**
 * A Host header as keygate accepts it: a name (underscores allowed, as container names have them),
 * an IPv4 address or a bracketed IPv6 address, and an optional port. Nothing that could carry a
 * path, a user name or a space into the URL built from it. A name (not an IPv6 literal) may end in
 * the root's dot (`keygate.example.com.`, fully qualified): the same name, which no one else can own
 * either.
 */
const HOST = /^([a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?|\[[0-9a-f:.]+\])(?:(?<!\])\.)?(?::(\d{1,5}))?$/i;

/**
 * The name (lower case) and port of a Host header, or undefined when it is not a plain host[:port]
 * that makes a URL. The pattern alone lets through what the URL parser refuses (port 99999, `[1]`,
 * `999.999.999.999`, `x.4294967296`: a last label of digits is read as IPv4), and yoga's adapter
 * would answer those with a 500 carrying its stack; so the parser has the last word.
 */
export function parseHost(host: string | null | undefined): { name: string; port?: number } | undefined {
  const match = host ? HOST.exec(host) : null;
  if (!match) return undefined;
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if ((port !== undefined && port > 65_535) || !URL.canParse(`http://${host}/`)) return undefined;
  return { name: match[1]!.toLowerCase(), port }; // without the root's dot: it names the same host
}

/**
 * May a request for this Host be answered? A page on an attacker's site whose name resolves to the
 * gateway's address is same-origin for the browser (DNS rebinding), but its requests carry the
 * attacker's name in Host: only names the gateway is meant to be reached by pass. The loopback
 * names (with the listening port) always pass: a browser sends them only for pages the gateway
 * itself served. Pure, so any path in front of yoga can call the same check.
 */
export function checkHost(host: string | null, policy: HostPolicy): HostVerdict {
  const parsed = parseHost(host);
  if (!parsed) return { allowed: false, status: 400, message: 'Send a Host header naming the gateway, such as Host: localhost:4000.\n' };
  const { name, port } = parsed;
  // Every loopback name HOST may be (config.ts lets 127.0.0.2 listen without ALLOWED_HOSTS), so the URL keygate prints is answered.
  if (isLoopback(name) && (port ?? 80) === policy.port) return { allowed: true };
  for (const entry of policy.allowed) {
    const named = name === entry.name || (entry.subdomains && name.endsWith(`.${entry.name}`));
    if (named && (entry.port === undefined || entry.port === port)) return { allowed: true };
  }
  return {
    allowed: false,
    status: 421,
    message:
      `keygate does not answer to the host "${host}". If clients reach it by this name, add it to ALLOWED_HOSTS ` +
      `(for example ALLOWED_HOSTS=${name}). This protects the gateway from web pages on other sites (DNS rebinding).\n`,
  };
}

/** The policy of one gateway: its ALLOWED_HOSTS, and the listening port once it is known. */
export class AllowedHosts implements HostPolicy {
  readonly allowed: readonly AllowedHost[];
  port: number;

  constructor(config: Pick<Config, 'allowedHosts' | 'port'>) {
    this.allowed = config.allowedHosts;
    this.port = config.port;
  }

  /** Called once the server listens: PORT=0 picks a port only then. */
  listeningOn(port: number): void {
    this.port = port;
  }
}

/**
 * Refuses a request for a Host the gateway does not answer to, before any other work: first in
 * line, for every route (GraphQL, GraphiQL, the console, health and metrics).
 */
export function useAllowedHosts(policy: HostPolicy): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      // Over HTTP the Host header; for an in-process fetch (tests), the URL's host.
      const verdict = checkHost(request.headers.get('host') ?? new URL(request.url).host, policy);
      if (verdict.allowed) return;
      endResponse(
        new fetchAPI.Response(verdict.message, {
          status: verdict.status,
          headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' },
        }),
      );
    },
  };
}
