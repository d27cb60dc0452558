import type { Plugin } from 'graphql-yoga';

/**
 * Answers 404 for every path the gateway does not serve. Yoga runs GraphQL for any URL that merely
 * ends in the endpoint (`/graphql/`, `/x/graphql`, `/?a=/graphql`); checks keyed to the exact
 * endpoint (client authentication, the request log) would not see those requests. With this first
 * in line, the exact endpoint is the only way in.
 */
export function useKnownRoutes(routes: { paths: string[]; prefixes?: string[] }): Plugin {
  const paths = new Set(routes.paths);
  const prefixes = routes.prefixes ?? [];
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      if (paths.has(url.pathname) || prefixes.some((prefix) => url.pathname.startsWith(prefix))) return;
      endResponse(
        new fetchAPI.Response(JSON.stringify({ errors: [{ message: 'Not found.', extensions: { code: 'NOT_FOUND' } }] }), {
          status: 404,
          headers: { 'content-type': 'application/json; charset=utf-8' },
        }),
      );
    },
  };
}
