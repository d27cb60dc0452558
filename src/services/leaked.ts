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

/** Octopus secrets: `API-` and upper-case letters and digits (contracts/octopus.md §5); Hyperstack: a UUID. */
const OCTOPUS_SECRET = /^API-[A-Z0-9]{20,40}$/;
const HYPERSTACK_SECRET = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface RevokedLeak {
  provider: Provider;
  account: Account;
  apiKey: ApiKeyRecord;
}

export class LeakedSecretService {
  constructor(
    private readonly deps: { loaders: RequestLoaders; audit: RequestAudit; pageSize: number; maxKeys: number },
  ) {}

  /**
   * Finds the one key a secret belongs to and revokes it. Refuses, changing nothing, when no key or
   * more than one key matches.
   * - Octopus: with the secret itself as the credential, `/users/me` says whose it is at each Octopus
   *   account; that user's keys are matched by the hint (the secret's first 8 characters).
   * - Hyperstack: the last 4 characters, in the lists of every Hyperstack account keygate can read.
   */
  async revoke(secret: string): Promise<RevokedLeak> {
    const trimmed = secret.trim();
    const provider: Provider | undefined = OCTOPUS_SECRET.test(trimmed) ? 'OCTOPUS' : HYPERSTACK_SECRET.test(trimmed) ? 'HYPERSTACK' : undefined;
    if (!provider) {
      throw badUserInput('That is not the shape of an Octopus Deploy key (API-…) or a Hyperstack key (a UUID); nothing was revoked.', { field: 'secret' });
    }
    this.deps.audit.note({ provider });
    const accounts = this.deps.loaders.accounts(provider);
    if (accounts.length === 0) throw gatewayError('UPSTREAM_UNAVAILABLE', `${providerNames[provider]} is not configured on this gateway.`, provider);
    const matches = provider === 'OCTOPUS' ? await this.findOctopus(trimmed, accounts) : await this.findHyperstack(trimmed, accounts);
    const hint = provider === 'OCTOPUS' ? octopusHint(trimmed) : hyperstackHint(trimmed);
    this.deps.audit.note({ keyHint: hint });
    if (matches.length === 0) {
      throw gatewayError('NOT_FOUND', `No ${providerNames[provider]} key that keygate can see matches this secret; nothing was revoked.`, provider);
    }
    if (matches.length > 1) {
      throw gatewayError(
        'CONFLICT',
        `${matches.length} ${providerNames[provider]} keys match this secret's hint (${hint}); keygate revokes exactly one key or none, so nothing was revoked. Revoke the right one by id.`,
        provider,
      );
    }
    const [{ key, runtime }] = matches as [{ key: ApiKeyRecord; runtime: AccountRuntime }];
    this.deps.audit.note({ account: runtime.account.name, keyId: refOf(key), keyName: key.provider === 'OCTOPUS' ? key.purpose : key.name, keyHint: key.keyHint });
    await this.delete(key, runtime, trimmed);
    return { provider, account: runtime.account, apiKey: key };
  }

  private async findOctopus(secret: string, accounts: readonly AccountRuntime[]) {
    const hint = octopusHint(secret);
    const found = await Promise.all(
      accounts.map(async (runtime) => {
        const leaked = this.deps.loaders.octopusClientWith(runtime, secret);
        this.deps.loaders.budget.spend(1, 'asking whose the secret is');
        let userId: string;
        try {
          userId = (await leaked.currentUser()).id;
        } catch (error) {
          // Another server, or a key already revoked or expired: not this account's.
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
        return keys.filter((key) => key.keyHint === hint).map((key) => ({ key: key as ApiKeyRecord, runtime }));
      }),
    );
    return found.flat();
  }

  private async findHyperstack(secret: string, accounts: readonly AccountRuntime[]) {
    const hint = hyperstackHint(secret);
    const found = await Promise.all(
      accounts.map(async (runtime) => {
        const session = this.deps.loaders.hyperstack(runtime);
        if (!session.hasCredential) return [];
        const keys = await session.keys();
        return keys.filter((key) => key.keyHint === hint).map((key) => ({ key: key as ApiKeyRecord, runtime }));
      }),
    );
    return found.flat();
  }

  /** Octopus: with keygate's own credential where it has one (it may be allowed where the leaked key is not), else the leaked one. */
  private async delete(key: ApiKeyRecord, runtime: AccountRuntime, secret: string): Promise<void> {
    if (key.provider === 'HYPERSTACK') {
      const session = this.deps.loaders.hyperstack(runtime);
      await session.write('revoking a leaked Hyperstack key', (client) => client.deleteKey(key.id));
      session.forget();
      return;
    }
    const session = this.deps.loaders.octopus(runtime);
    if (session.hasCredential) {
      try {
        await session.write('revoking a leaked Octopus key', (client) => client.deleteKey(key.userId, key.id));
        session.forget(key.userId);
        return;
      } catch (error) {
        if (!(error instanceof UpstreamError) || (error.code !== 'FORBIDDEN' && error.code !== 'UNAUTHENTICATED')) throw error;
      }
    }
    this.deps.loaders.budget.spend(1, 'revoking a leaked Octopus key');
    await this.deps.loaders.octopusClientWith(runtime, secret).deleteKey(key.userId, key.id);
    session.forget(key.userId);
  }
}

/** The store's reference to a key (as in rotations). */
function refOf(key: ApiKeyRecord): string {
  return key.provider === 'OCTOPUS' ? `${key.userId}/${key.id}` : key.id;
}

