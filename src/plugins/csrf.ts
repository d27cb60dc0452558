import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

const CSRF_HEADER = 'x-graphql-yoga-csrf';
/** Content types a browser may send across sites without a preflight. */
const SIMPLE_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

/**
 * CSRF prevention (`@graphql-yoga/plugin-csrf-prevention`): a GET, or a POST with a content type
 * a form could send, needs the `x-graphql-yoga-csrf` header. Its refusal ("Required CSRF header(s)
 * not present") is what a first `curl -d '{"query": …}'` meets, since curl sends form content by
 * default: such a request is told what is actually missing instead.
 */
export function useCsrf(): Plugin[] {
  const hint: Plugin = {
    onRequestParse({ request }) {
      if (request.headers.has(CSRF_HEADER)) return;
      const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
      if (request.method === 'POST' && (type === '' || SIMPLE_TYPES.includes(type))) {
        throw new GraphQLError(
          `Send Content-Type: application/json, with the operation as a JSON body ({"query": "…"})${type ? `, not ${type}` : ''}. With curl: -H 'Content-Type: application/json'.`,
          { extensions: { code: 'BAD_REQUEST', http: { status: 415 } } },
        );
      }
      if (request.method === 'GET') {
        throw new GraphQLError(
          `A GET request needs the header ${CSRF_HEADER} (any value), so that other web sites cannot send it; or POST with Content-Type: application/json.`,
          { extensions: { code: 'FORBIDDEN', http: { status: 403 } } },
        );
      }
    },
  };
  return [hint, useCSRFPrevention({ requestHeaders: [CSRF_HEADER] })];
}
