import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export const CSRF_HEADER = 'x-graphql-yoga-csrf';

/**
 * CSRF prevention (`@graphql-yoga/plugin-csrf-prevention`): a GET, or a POST with a content type
 * a form could send, needs the `x-graphql-yoga-csrf` header. A GET without it is told so, with the
 * alternative (a POST of JSON); a POST's content type is useRequestBody's.
 */
export function useCsrf(): Plugin[] {
  const hint: Plugin = {
    onRequestParse({ request }) {
      // Any other method is yoga's 405 with Allow, not a CSRF refusal that suggests it would run
      // with the header (a bare PUT or DELETE reached the CSRF check first).
      if (request.method !== 'GET' && request.method !== 'POST') {
        throw new GraphQLError('GraphQL is served over GET and POST only.', {
          extensions: { code: 'BAD_USER_INPUT', http: { status: 405, headers: { Allow: 'GET, POST' } } },
        });
      }
      if (request.method === 'GET' && !request.headers.has(CSRF_HEADER)) {
        throw new GraphQLError(
          `A GET request needs the header ${CSRF_HEADER} (any value), so that other web sites cannot send it; or POST with Content-Type: application/json.`,
          { extensions: { code: 'FORBIDDEN', http: { status: 403 } } },
        );
      }
    },
  };
  return [hint, useCSRFPrevention({ requestHeaders: [CSRF_HEADER] })];
}
