import { GraphQLError } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { readUtf8 } from './request-body.js';

/**
 * A GET's URL and a form-encoded POST body carry `variables` and `extensions` as JSON inside URL
 * parameters. yoga parses them without a guard, so a malformed one became an unexpected error
 * (200-style, with a stack and a fragment of the input, which may be a secret, in the log). Here it
 * is the client's mistake, a 400 that says which parameter, as a malformed JSON body already is.
 * The parsers below replace yoga's for those two kinds of request only; keygate's body limit
 * (useBodyLimit) still wraps them, since gateway.ts installs it after this plugin.
 */
export function useUrlParams(): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser }) {
      if (requestParser === undefined) return; // yoga took no parser: its own refusal stands
      if (request.method === 'GET') {
        // As yoga does: everything after the first `?` (a `#` that reaches here is read as data).
        setRequestParser(() => fromParams(request.url.slice(request.url.indexOf('?') + 1), 'of the URL'));
      } else if (request.method === 'POST' && isForm(request.headers.get('content-type'))) {
        setRequestParser(async (form) => fromParams(await readUtf8(form), 'of the form body'));
      }
    },
  };
}

/** yoga's own test for a form body: the first of a list of types, with or without parameters. */
const isForm = (header: string | null): boolean => {
  const type = header?.split(',')[0];
  return type === 'application/x-www-form-urlencoded' || !!type?.startsWith('application/x-www-form-urlencoded;');
};

/** The parameters yoga reads, and `documentId`, which trusted-documents mode takes from a GET too. */
function fromParams(encoded: string, where: string): GraphQLParams & { documentId?: string } {
  const params = new URLSearchParams(encoded);
  // URLSearchParams decodes a percent-encoded byte that is not UTF-8 (%FF) as U+FFFD;
  // decodeURIComponent refuses it, so a mangled value never reaches a resolver (request-body.ts).
  for (const part of encoded.split('&')) {
    try {
      decodeURIComponent(part.replace(/\+/g, ' ').replace(/%(?![0-9a-f]{2})/gi, '%25')); // a stray % stays a %, as URLSearchParams reads it
    } catch {
      throw new GraphQLError(`The parameters ${where} are not valid percent-encoded UTF-8.`, { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
    }
  }
  return {
    operationName: params.get('operationName') || undefined,
    query: params.get('query') || undefined,
    variables: json(params, 'variables', where),
    extensions: json(params, 'extensions', where),
    documentId: params.get('documentId') || undefined,
  };
}

function json<T>(params: URLSearchParams, name: string, where: string): T | undefined {
  const text = params.get(name);
  if (!text) return undefined; // absent or empty: none, as yoga reads it
  try {
    return JSON.parse(text) as T;
  } catch {
    // BAD_REQUEST, as for a JSON body that does not parse (request-body.ts): the request itself cannot be read.
    throw new GraphQLError(`The \`${name}\` parameter ${where} is not valid JSON.`, { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
  }
}
