// A secret scanner found a key in a public place: revoke exactly that key, now. The secret is used
// only to recognise and find the key; it is never logged, stored or shown (it travels as a
// credential header, whose value no provider message may echo).
import { providerNames, type Account, type ApiKeyRecord, type Provider } from '../domain.js';
import { badUserInput, gatewayError } from '../errors.js';
import { UpstreamError } from '../upstream/errors.js';
import { walkNewestFirst } from '../upstream/octopus-walk.js';
import { octopusHint } from '../upstream/octopus.js';
import { hyperstackHint } from '../upstream/hyperstack.js';
import type { RequestLoaders } from '../upstream/loaders.js';
import type { AccountRuntime } from '../upstream/upstreams.js';
import type { RequestAudit } from './audit.js';
import { keyRef } from './key-ids.js';

/** Octopus secrets: `API-` and upper-case letters and digits (contracts/octopus.md §5); Hyperstack: a UUID. */
const OCTOPUS_SECRET = /^API-[A-Z0-9]{20,40}$/;
const HYPERSTACK_SECRET = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface RevokedLeak {
  provider: Provider;
  account: Account;
  apiKey: ApiKeyRecord;
  /** The accounts whose configured credential this secret was: keygate cannot reach them any more. */
  lockedOut: string[];
}

export class LeakedSecretService {
  constructor(
    private readonly deps: { loaders: RequestLoaders; audit: RequestAudit; pageSize: number; maxKeys: number },
  ) {}

  /**
   * Finds the one key a secret belongs to and revokes it. Refuses, changing nothing, when no key or
   * more than one key matches. The secret itself is the credential that finds it, so only a live
   * secret revokes anything (a string of the right shape, such as a request id, matches nothing):
   * - Octopus: `/users/me` says whose it is at each Octopus server; that user's keys are matched by
   *   the hint (the secret's first 8 characters).
   * - Hyperstack: the list the secret can see, matched by its last 4 characters.
   * Accounts on one server (one base URL, one pool) are asked once: they see the same keys.
   * `where`, when the caller knows it, names the accounts to look in: only their servers then see
   * the secret (by default every server of that provider does, since nothing else says whose it is).
   */
  async revoke(secret: string, where?: readonly string[]): Promise<RevokedLeak> {
    const trimmed = secret.trim();
    const provider: Provider | undefined = OCTOPUS_SECRET.test(trimmed) ? 'OCTOPUS' : HYPERSTACK_SECRET.test(trimmed) ? 'HYPERSTACK' : undefined;
    if (!provider) {
      throw badUserInput('That is not the shape of an Octopus Deploy key (API-…) or a Hyperstack key (a UUID); nothing was revoked.', { field: 'secret' });
    }
    this.deps.audit.note({ provider });
    const accounts = this.deps.loaders.accounts(provider);
    if (accounts.length === 0) throw gatewayError('UPSTREAM_UNAVAILABLE', `${providerNames[provider]} is not configured on this gateway.`, provider);
    const servers = where ? this.serversOf(where, provider) : byServer(accounts);
    // One key may be seen at several servers: one server under two names (an address and a DNS
    // name), or a server restored from another's database (the same key, live at both).
    const copies = byKey(provider === 'OCTOPUS' ? await this.findOctopus(trimmed, servers) : await this.findHyperstack(trimmed, servers));
    const matches = [...copies.values()].map((seen) => seen[0]!);
    const hint = provider === 'OCTOPUS' ? octopusHint(trimmed) : hyperstackHint(trimmed);
    this.deps.audit.note({ keyHint: hint });
    if (matches.length === 0) {
      throw gatewayError('NOT_FOUND', `No ${providerNames[provider]} key that keygate can reach accepts this secret and matches it; nothing was revoked.`, provider);
    }
    if (matches.length > 1) {
      throw gatewayError(
        'CONFLICT',
        `${matches.length} ${providerNames[provider]} keys match this secret's hint (${hint}); keygate revokes exactly one key or none, so nothing was revoked. Revoke the right one by id.`,
        provider,
      );
    }
    const [found] = matches as [{ key: ApiKeyRecord; server: readonly AccountRuntime[] }];
    const runtime = await this.ownerOf(found.key, found.server);
    const key: ApiKeyRecord = { ...found.key, account: runtime.account.name };
    this.deps.audit.note({ account: runtime.account.name, keyId: keyRef(key), keyName: key.provider === 'OCTOPUS' ? key.purpose : key.name, keyHint: key.keyHint });
    await this.delete(key, runtime, trimmed);
    // Every other server that saw it revokes it too; under another name of the same server it is gone already.
    for (const copy of copies.get(keyRef(key))!.slice(1)) {
      const other = await this.ownerOf(copy.key, copy.server);
      try {
        await this.delete({ ...copy.key, account: other.account.name }, other, trimmed);
      } catch (error) {
        if (!(error instanceof UpstreamError && (error.code === 'NOT_FOUND' || error.code === 'UNAUTHENTICATED'))) throw error;
      }
    }
    // keygate's own credential, leaked, is revoked like any other (it is compromised), but keygate
    // is locked out of those accounts until its configuration gets a new key: say so.
    const lockedOut = this.deps.loaders.accounts(provider).filter((r) => r.config.apiKey === trimmed || r.config.accessToken === trimmed);
    if (lockedOut.length > 0) this.deps.audit.append(`this was keygate's own credential for ${lockedOut.map((r) => `account "${r.account.name}"`).join(', ')}`);
    return { provider, account: runtime.account, apiKey: key, lockedOut: lockedOut.map((r) => r.account.name) };
  }

  /** The servers of the named accounts, with every account on them; refuses a name that is no account of `provider`. */
  private serversOf(names: readonly string[], provider: Provider): AccountRuntime[][] {
    const all = this.deps.loaders.accounts();
    const unknown = names.filter((name) => !all.some((r) => r.account.name === name));
    if (unknown.length > 0) {
      const known = all.map((r) => `"${r.account.name}"`).join(', ');
      throw badUserInput(`No account named ${unknown.map((n) => `"${n}"`).join(', ')}; the accounts are ${known}. Nothing was revoked.`, { field: 'input.accounts' });
    }
    const other = names.filter((name) => !all.some((r) => r.account.name === name && r.account.provider === provider));
    if (other.length > 0) {
      throw badUserInput(`This secret belongs at ${providerNames[provider]}, and these are not ${providerNames[provider]} accounts: ${other.map((n) => `"${n}"`).join(', ')}. Nothing was revoked.`, {
        field: 'input.accounts',
      });
    }
    return byServer(this.deps.loaders.accounts(provider)).filter((server) => server.some((r) => names.includes(r.account.name)));
  }

  private async findOctopus(secret: string, servers: readonly (readonly AccountRuntime[])[]) {
    const hint = octopusHint(secret);
    const found = await Promise.all(
      servers.map(async (server) => {
        const runtime = server[0]!;
        const leaked = this.deps.loaders.octopusClientWith(runtime, secret);
        this.deps.loaders.budget.spend(1, 'asking whose the secret is');
        let userId: string;
        try {
          userId = (await leaked.currentUser()).id;
        } catch (error) {
          // Another server, or a key already revoked or expired: not this server's.
          if (error instanceof UpstreamError && error.code === 'UNAUTHENTICATED') return [];
          throw error;
        }
        const keys = await walkNewestFirst((skip, take) => leaked.listKeys(userId, { skip, take }), {
          pageSize: this.deps.pageSize,
          parallel: 4,
          maxItems: this.deps.maxKeys,
          beforeFetch: (pages) => this.deps.loaders.budget.spend(pages, `the API keys of ${userId}`),
          what: `the API keys of ${userId}`,
        });
        return keys.filter((key) => key.keyHint === hint).map((key) => ({ key: key as ApiKeyRecord, server }));
      }),
    );
    return found.flat();
  }

  private async findHyperstack(secret: string, servers: readonly (readonly AccountRuntime[])[]) {
    const hint = hyperstackHint(secret);
    const found = await Promise.all(
      servers.map(async (server) => {
        const runtime = server[0]!;
        this.deps.loaders.budget.spend(1, 'listing the keys the secret can see');
        let keys: ApiKeyRecord[];
        try {
          keys = await this.deps.loaders.hyperstackClientWith(runtime, secret).listKeys();
        } catch (error) {
          // Not a live key here: revoked already, another server's, or no key at all.
          if (error instanceof UpstreamError && error.code === 'UNAUTHENTICATED') return [];
          throw error;
        }
        return keys.filter((key) => key.keyHint === hint).map((key) => ({ key, server }));
      }),
    );
    return found.flat();
  }

  /**
   * Of the accounts on the key's server, the one whose own credential sees the key (the user it
   * belongs to): the account answered and audited, whose credential revokes it. The first when none
   * does, or when the server has one account.
   */
  private async ownerOf(key: ApiKeyRecord, server: readonly AccountRuntime[]): Promise<AccountRuntime> {
    if (server.length === 1) return server[0]!;
    for (const runtime of server) {
      if (!this.deps.loaders.hasCredential(runtime)) continue;
      try {
        let sees: boolean;
        if (key.provider === 'OCTOPUS') {
          sees = (await this.deps.loaders.octopus(runtime).me()).id === key.userId;
        } else {
          // Read now, not from the list cache: the leaked key may be newer than a cached list.
          const session = this.deps.loaders.hyperstack(runtime);
          session.forget();
          sees = (await session.keys()).some((k) => k.id === key.id);
        }
        if (sees) return runtime;
      } catch {
        // This account cannot say (down, or its credential refused): another may, else the first.
      }
    }
    return server[0]!;
  }

  /**
   * With keygate's own credential where it has one (it may be allowed where the leaked key is not),
   * else, or when that credential may not (another user's key), with the leaked secret itself.
   */
  private async delete(key: ApiKeyRecord, runtime: AccountRuntime, secret: string): Promise<void> {
    const loaders = this.deps.loaders;
    const forget = () => (key.provider === 'OCTOPUS' ? loaders.octopus(runtime).forget(key.userId) : loaders.hyperstack(runtime).forget());
    if (loaders.hasCredential(runtime)) {
      try {
        if (key.provider === 'OCTOPUS') await loaders.octopus(runtime).write('revoking a leaked Octopus key', (client) => client.deleteKey(key.userId, key.id));
        else await loaders.hyperstack(runtime).write('revoking a leaked Hyperstack key', (client) => client.deleteKey(key.id));
        forget();
        return;
      } catch (error) {
        const notAllowed = error instanceof UpstreamError && (error.code === 'FORBIDDEN' || error.code === 'UNAUTHENTICATED' || (key.provider === 'HYPERSTACK' && error.code === 'NOT_FOUND'));
        if (!notAllowed) throw error;
      }
    }
    loaders.budget.spend(1, `revoking a leaked ${providerNames[key.provider]} key`);
    if (key.provider === 'OCTOPUS') await loaders.octopusClientWith(runtime, secret).deleteKey(key.userId, key.id);
    else await loaders.hyperstackClientWith(runtime, secret).deleteKey(key.id);
    forget();
  }
}

/** The accounts of each server: accounts that share a base URL share one pool (Upstreams). */
function byServer(accounts: readonly AccountRuntime[]): AccountRuntime[][] {
  const servers = new Map<unknown, AccountRuntime[]>();
  for (const runtime of accounts) {
    const server = servers.get(runtime.http);
    if (server) server.push(runtime);
    else servers.set(runtime.http, [runtime]);
  }
  return [...servers.values()];
}

/** Matches by key: ids are the provider's own, so one id seen at two servers is one key, or a copy of it. */
function byKey<T extends { key: ApiKeyRecord }>(matches: T[]): Map<string, T[]> {
  const keys = new Map<string, T[]>();
  for (const match of matches) {
    const ref = keyRef(match.key);
    keys.set(ref, [...(keys.get(ref) ?? []), match]);
  }
  return keys;
}
