import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * A GET's `variables` and `extensions` are JSON in the URL. yoga parses them without a guard, so a
 * malformed one became an unexpected error (500-style, with a stack in the log): here it is the
 * client's mistake, a 400 that says which parameter, as a malformed POST body already is.
 */
export function useUrlParams(): Plugin {
  return {
    onRequestParse({ request, url }) {
      if (request.method !== 'GET') return;
      for (const name of ['variables', 'extensions']) {
        const text = url.searchParams.get(name);
        if (!text) continue; // absent or empty: yoga reads both as none
        try {
          JSON.parse(text);
        } catch {
          throw new GraphQLError(`The \`${name}\` parameter of the URL is not valid JSON.`, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
        }
      }
    },
  };
}
