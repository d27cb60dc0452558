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
        // Deleted first when there is one: whatwg-node's Headers.set leaves a `Cache-Control` yoga
        // wrote in another letter case (its event stream's `no-cache`), and the answer would carry
        // both. Only then: a delete turns the response's headers into a map, which costs every answer.
        if (response.headers.get('cache-control') !== null) response.headers.delete('cache-control');
        response.headers.set('cache-control', 'no-store');
      }
    },
  };
}
