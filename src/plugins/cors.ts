import type { Plugin } from 'graphql-yoga';

const ALLOW_METHODS = 'GET, POST';
const MAX_AGE_S = '600';

/**
 * CORS for the GraphQL endpoint: only the configured origins (`*`: any) get CORS headers, so
 * browsers refuse every other origin. The answer depends on the request's Origin, so every
 * response says `Vary: Origin` (a shared cache must not hand one origin's answer to another).
 * Ours rather than yoga's, so it runs after the host check and always varies.
 */
export function useCors(options: { endpoint: string; origins: readonly string[]; allowedHeaders: readonly string[]; exposedHeaders: readonly string[] }): Plugin {
  const origins = new Set(options.origins);
  const allowedOrigin = (request: Request) => {
    const origin = request.headers.get('origin');
    return origin !== null && (origins.has(origin) || origins.has('*')) ? origin : undefined;
  };
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== options.endpoint || request.method !== 'OPTIONS' || !request.headers.has('access-control-request-method')) return;
      const origin = allowedOrigin(request);
      const headers: Record<string, string> = { vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' };
      if (origin) {
        Object.assign(headers, {
          'access-control-allow-origin': origin,
          'access-control-allow-methods': ALLOW_METHODS,
          'access-control-allow-headers': options.allowedHeaders.join(', '),
          'access-control-max-age': MAX_AGE_S,
        });
      }
      endResponse(new fetchAPI.Response(null, { status: 204, headers }));
    },
    onResponse({ request, response }) {
      if (new URL(request.url).pathname !== options.endpoint || request.method === 'OPTIONS') return;
      response.headers.append('vary', 'Origin');
      const origin = allowedOrigin(request);
      if (!origin) return;
      response.headers.set('access-control-allow-origin', origin);
      response.headers.set('access-control-expose-headers', options.exposedHeaders.join(', '));
    },
  };
}
