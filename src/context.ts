import type { GraphQLError } from 'graphql';
import type { YogaInitialContext } from 'graphql-yoga';
import type { Config } from './config.js';
import { clientOf } from './plugins/client-auth.js';
import { requestRecord } from './plugins/request-log.js';
import { ApiKeyService } from './services/api-keys.js';
import { createGate } from './services/create-gate.js';
import { RequestAudit } from './services/audit.js';
import { LeakedSecretService } from './services/leaked.js';
import { RotationService } from './services/rotation.js';
import type { StoreRuntime } from './services/store-runtime.js';
import type { AuditEvents } from './store/index.js';
import type { UpstreamObserver } from './upstream/http.js';
import { RequestLoaders, type ForwardedCredentials } from './upstream/loaders.js';
import type { Upstreams } from './upstream/upstreams.js';

/** Headers a request may use to act with its own credentials on the `default` accounts. */
export const CREDENTIAL_HEADERS = {
  octopus: 'x-octopus-apikey',
  hyperstack: 'x-hyperstack-api-key',
  hyperstackAccessToken: 'x-hyperstack-access-token',
} as const;

/** What the gateway adds to yoga's own context for each request. */
export interface RequestContext {
  loaders: RequestLoaders;
  /** Reads and writes of API keys, for the resolvers. */
  apiKeys: ApiKeyService;
  rotations: RotationService;
  leaked: LeakedSecretService;
  /** This request's audit trail: one event per mutation field. */
  audit: RequestAudit;
  /** The stored audit events, for `auditEvents`; absent without a store. */
  auditEvents?: AuditEvents;
  /**
   * Errors of a field that still answers (one account failed, the others' keys are shown). The
   * result-errors plugin appends them to the response.
   */
  partialErrors: GraphQLError[];
}

export type GatewayContext = YogaInitialContext & RequestContext;

/** The credentials a request brought in its own headers (they win over the configured ones of `default`). */
export function forwardedCredentials(request: Request): ForwardedCredentials {
  return {
    octopus: headerValue(request, CREDENTIAL_HEADERS.octopus),
    hyperstack: headerValue(request, CREDENTIAL_HEADERS.hyperstack),
    hyperstackAccessToken: bearerless(headerValue(request, CREDENTIAL_HEADERS.hyperstackAccessToken)),
  };
}

function headerValue(request: Request, name: string): string | undefined {
  const value = request.headers.get(name)?.trim();
  return value ? value : undefined;
}

/** An access token may be forwarded with or without its `Bearer ` prefix. */
function bearerless(value: string | undefined): string | undefined {
  return value?.replace(/^Bearer\s+/i, '') || undefined;
}

export function createContextFactory(
  upstreams: Upstreams,
  config: Pick<Config, 'maxUpstreamCalls' | 'lists' | 'policy' | 'trustProxy' | 'rotation'>,
  options: {
    observer?: (initial: YogaInitialContext) => UpstreamObserver | undefined;
    store?: StoreRuntime;
    /** Shutdown has begun: creates not yet started are refused. */
    drain?: { readonly draining: boolean };
  } = {},
) {
  return (initial: YogaInitialContext): RequestContext => {
    const gate = createGate(initial.request.signal, options.drain);
    const loaders = new RequestLoaders(upstreams, forwardedCredentials(initial.request), {
      observer: options.observer?.(initial),
      // Asked before a call waits for a connection and again before it is sent: a create may have waited for one while
      // the client left; and at shutdown, no call may hold back an answer that holds a new secret.
      beforeCreate: () => gate.check(),
      beforeCall: () => gate.checkCall(),
      maxUpstreamCalls: config.maxUpstreamCalls,
      pageSize: config.lists.octopusPageSize,
      maxKeys: config.lists.maxKeys,
    });
    const audit = new RequestAudit(
      options.store?.trail,
      { requestId: requestRecord(initial.request)?.id, client: clientOf(initial as Parameters<typeof clientOf>[0], config.trustProxy) },
      initial.request.signal,
    );
    const apiKeys = new ApiKeyService(loaders, config.policy, audit, gate);
    return {
      loaders,
      apiKeys,
      rotations: new RotationService({ runner: options.store?.rotations, loaders, apiKeys, audit, maxOverlapSeconds: config.rotation.maxOverlapSeconds }),
      leaked: new LeakedSecretService({ loaders, audit, pageSize: config.lists.octopusPageSize, maxKeys: config.lists.maxKeys }),
      audit,
      auditEvents: options.store?.events,
      partialErrors: [],
    };
  };
}
