import { GraphQLError } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { CSRF_HEADER } from './csrf.js';

/** Content types a browser may send across sites without a preflight: yoga reads two of them, with the CSRF header. */
const SIMPLE_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];
const JSON_TYPES = ['application/json', 'application/graphql+json'];
/** What yoga reads besides JSON, as it writes them (it compares exactly); multipart is off (no uploads). */
const OTHER_TYPES = ['application/graphql', 'application/x-www-form-urlencoded'];

const unsupported = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_REQUEST', http: { status: 415 } } });
// Not `spec`: yoga would then answer 200 to a client that accepts application/json.
const badBody = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });

/**
 * What a POST body may be, checked before it is read: every refusal is a coded 415 that says what to
 * send (yoga answers an unknown or differently-cased type with an empty 415).
 * - JSON, its media type in any letter case (media types are case-insensitive; yoga compares
 *   exactly), read here: an invalid body is "POST body sent invalid JSON." without yoga's
 *   `originalError`, which echoed the body's first bytes.
 * - No Content-Encoding: keygate reads bodies as sent, and would otherwise read compressed bytes
 *   as JSON.
 * - A form's content type without the CSRF header is what a first `curl -d '{"query": …}'` sends:
 *   it is told to send JSON, instead of the CSRF plugin's "Required CSRF header(s) not present".
 * Runs before useBodyLimit, which wraps the parser set here.
 */
export function useRequestBody(): Plugin {
  return {
    onRequestParse({ request, setRequestParser }) {
      if (request.method !== 'POST') return;
      const encoding = request.headers.get('content-encoding')?.trim().toLowerCase();
      if (encoding && encoding !== 'identity') {
        throw unsupported(`keygate reads request bodies uncompressed: send the body without Content-Encoding (got ${encoding.slice(0, 40)}).`);
      }
      // As yoga reads it: the first of a list (a repeated header, joined), without its parameters.
      const header = request.headers.get('content-type')?.split(',')[0] ?? '';
      const type = header.split(';')[0]!.trim().toLowerCase();
      if (JSON_TYPES.includes(type)) return setRequestParser(readJson);
      // yoga's own parser for a GraphQL document as the body, but strict about its encoding.
      if (type === 'application/graphql' && (header === type || header.startsWith(`${type};`))) {
        return setRequestParser(async (body) => ({ query: await readUtf8(body) }));
      }
      const sendJson = `Send Content-Type: application/json, with the operation as a JSON body ({"query": "…"})`;
      if (!request.headers.has(CSRF_HEADER) && (type === '' || SIMPLE_TYPES.includes(type))) {
        throw unsupported(`${sendJson}${type ? `, not ${type}` : ''}. With curl: -H 'Content-Type: application/json'.`);
      }
      // yoga reads these only when written exactly so (its isContentTypeMatch).
      if (!OTHER_TYPES.includes(type) || !(header === type || header.startsWith(`${type};`))) {
        throw unsupported(`${sendJson}${type ? `, not ${type.slice(0, 100)}` : ''}.`);
      }
    },
  };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The text of a request body, which must be UTF-8 (RFC 8259 for JSON; yoga reads every other kind
 * as UTF-8 too). Decoding leniently would turn bytes that are not into U+FFFD, and a key would be
 * made at the provider under a name nobody typed.
 */
export async function readUtf8(request: Request): Promise<string> {
  const bytes = await request.arrayBuffer(); // the body limit's 413 is thrown from here
  try {
    return UTF8.decode(bytes);
  } catch {
    throw badBody('The request body is not valid UTF-8.');
  }
}

async function readJson(request: Request): Promise<GraphQLParams> {
  const text = await readUtf8(request);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badBody('POST body sent invalid JSON.');
  }
  if (typeof body !== 'object' || body === null) throw badBody(`POST body is expected to be object but received ${body === null ? 'null' : typeof body}`);
  return body as GraphQLParams;
}
