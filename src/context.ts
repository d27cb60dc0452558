import type { GraphQLError } from 'graphql';
import type { YogaInitialContext } from 'graphql-yoga';
import type { UpstreamObserver } from './upstream/http.js';
import { Loaders, type RequestCredentials } from './upstream/loaders.js';
import type { Upstreams } from './upstream/upstreams.js';

/** Headers a request may use to act with its own credentials instead of the gateway's. */
export const CREDENTIAL_HEADERS = {
  octopus: 'x-octopus-apikey',
  hyperstack: 'x-hyperstack-api-key',
} as const;

/** What the gateway adds to yoga's own context for each request. */
export interface RequestContext {
  loaders: Loaders;
  /**
   * Errors of a field that still answers (one provider failed, the other's keys are shown). The
   * partial-results plugin appends them to the response.
   */
  partialErrors: GraphQLError[];
}

export type GatewayContext = YogaInitialContext & RequestContext;

/** The request's own credentials win over the configured ones, for this request only. */
export function requestCredentials(request: Request, configured: Upstreams['credentials']): RequestCredentials {
  return {
    octopus: headerValue(request, CREDENTIAL_HEADERS.octopus) ?? configured.octopus,
    hyperstack: headerValue(request, CREDENTIAL_HEADERS.hyperstack) ?? configured.hyperstack,
  };
}

function headerValue(request: Request, name: string): string | undefined {
  const value = request.headers.get(name)?.trim();
  return value ? value : undefined;
}

export function createContextFactory(upstreams: Upstreams, observer?: (initial: YogaInitialContext) => UpstreamObserver | undefined) {
  return (initial: YogaInitialContext): RequestContext => ({
    loaders: new Loaders(upstreams, requestCredentials(initial.request, upstreams.credentials), observer?.(initial)),
    partialErrors: [],
  });
}
