import type { Plugin } from 'graphql-yoga';

function notFound(fetchAPI: { Response: typeof Response }): Response {
  return new fetchAPI.Response(JSON.stringify({ errors: [{ message: 'Not found.', extensions: { code: 'NOT_FOUND' } }] }), {
    status: 404,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
}

/**
 * Answers 404 for every path the gateway does not serve, and lets GraphQL run on its endpoint
 * alone. Yoga runs GraphQL for any URL that merely ends in the endpoint (`/graphql/`,
 * `/console/graphql`, `/metrics?x=/graphql`); there, checks keyed to the exact endpoint (client
 * authentication, the request log, metrics) would not see it. So: exact paths only, every one
 * named here, and whatever reaches request parsing anywhere but the endpoint is refused.
 */
export function useKnownRoutes(routes: {
  endpoint: string;
  paths: Iterable<string>;
  /** Paths below which one plugin answers every request itself (a file, 404 or 405). */
  prefixes?: readonly string[];
}): Plugin {
  const paths = new Set([routes.endpoint, ...routes.paths]);
  const prefixes = routes.prefixes ?? [];
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      if (!paths.has(url.pathname) && !prefixes.some((prefix) => url.pathname.startsWith(prefix))) endResponse(notFound(fetchAPI));
    },
    onRequestParse({ url, endResponse, fetchAPI }) {
      if (url.pathname !== routes.endpoint) endResponse(notFound(fetchAPI));
    },
  };
}
