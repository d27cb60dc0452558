import type { Plugin } from 'graphql-yoga';

/**
 * Headers every response needs: no content sniffing anywhere, and `Cache-Control: no-store` on
 * every answer of the GraphQL endpoint, since secrets travel in them (a created key's secret, a
 * provider key in an error echo).
 */
export function useResponseHeaders(endpoint: string): Plugin {
  return {
    onResponse({ request, response }) {
      response.headers.set('x-content-type-options', 'nosniff');
      if (new URL(request.url).pathname === endpoint) {
        // delete first: whatwg-node's Headers.set leaves a `Cache-Control` yoga wrote in another
        // letter case (its event stream's `no-cache`), and the answer would carry both.
        response.headers.delete('cache-control');
        response.headers.set('cache-control', 'no-store');
      }
    },
  };
}
