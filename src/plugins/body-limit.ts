import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

function tooLarge(maxBytes: number) {
  return new GraphQLError(`The request body is larger than ${maxBytes} bytes.`, {
    extensions: { code: 'BAD_USER_INPUT', http: { status: 413 } },
  });
}

/**
 * Refuses request bodies over `maxBytes` with HTTP 413, before any parsing: by the declared
 * Content-Length when there is one, and by counting while reading otherwise (chunked bodies), so
 * a client cannot make the gateway buffer an unbounded body. Reading stops at the limit.
 */
export function useBodyLimit(maxBytes: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      if (request.method !== 'POST' || !requestParser) return;
      const length = request.headers.get('content-length');
      if (length !== null) {
        // Node's HTTP parser never delivers more than the declared length: checking it is enough.
        if (Number(length) > maxBytes) throw tooLarge(maxBytes);
        return;
      }
      setRequestParser(async (req) => {
        const body = await readLimited(req, maxBytes);
        // Hand the bounded body to the parser set for this content type.
        return requestParser(new fetchAPI.Request(req.url, { method: 'POST', headers: req.headers, body }));
      });
    },
  };
}

/** The body's bytes, as sent: decoding is the parser's (strict UTF-8, request-body.ts). */
async function readLimited(request: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  chunks.reduce((offset, chunk) => (body.set(chunk, offset), offset + chunk.byteLength), 0);
  return body;
}
