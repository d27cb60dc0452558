import { once } from 'node:events';
import { STATUS_CODES, createServer, maxHeaderSize, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Gateway } from './gateway.js';
import { parseHost } from './plugins/allowed-hosts.js';

/** How long a client may take, or stall, before its connection is closed. */
export interface ServerTimeouts {
  /** To send the request headers (slowloris). */
  headersMs: number;
  /** To send the whole request, headers and body. */
  requestMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: number;
  /** While a response is being written, the longest the client may read nothing (a client that never reads). */
  writeStallMs: number;
  /** How often the server looks for connections past the header and request timeouts. */
  checkIntervalMs: number;
}

export const SERVER_TIMEOUTS: Readonly<ServerTimeouts> = {
  headersMs: 10_000,
  requestMs: 30_000,
  keepAliveMs: 5_000,
  writeStallMs: 30_000,
  checkIntervalMs: 1_000,
};

/**
 * The gateway's HTTP server, as main.ts runs it and as tests listen with it: bounded client
 * timeouts, and requests yoga could not turn into a URL refused first (see `malformedRequest`).
 */
export function createHttpServer(gateway: Gateway, timeouts: Partial<ServerTimeouts> = {}): Server {
  const t = { ...SERVER_TIMEOUTS, ...timeouts };
  /** The response each connection is writing now, for answerUnreadable. */
  const responding = new WeakMap<Duplex, ServerResponse>();
  const server = createServer(
    { headersTimeout: t.headersMs, requestTimeout: t.requestMs, connectionsCheckingInterval: t.checkIntervalMs },
    (req, res) => {
      responding.set(req.socket, res);
      res.once('finish', () => responding.get(req.socket) === res && responding.delete(req.socket));
      const problem = malformedRequest(req);
      if (problem) {
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', connection: 'close' });
        res.end(problem);
        return;
      }
      closeWhenWritesStall(res, t.writeStallMs);
      void gateway.yoga(req, res);
    },
  );
  server.keepAliveTimeout = t.keepAliveMs;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => answerUnreadable(error, socket, responding.get(socket)));
  return server;
}

/**
 * A request Node's HTTP parser refuses (headers past its size limit, a control character in a
 * header, a length given twice) never reaches yoga. Node would answer a bare status with no body;
 * this says what was wrong, as `malformedRequest` does, with Node's statuses. Not when the
 * connection's current response has begun (`current`), as Node does: that must not be cut into.
 */
function answerUnreadable(error: NodeJS.ErrnoException, socket: Duplex, current: ServerResponse | undefined): void {
  if (error.code === 'ECONNRESET' || !socket.writable || current?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, message] = unreadable(error.code);
  socket.write(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: text/plain; charset=utf-8\r\nx-content-type-options: nosniff\r\n` +
      `content-length: ${Buffer.byteLength(message)}\r\nconnection: close\r\n\r\n${message}`,
  );
  socket.destroy(); // as Node does: a client that reads nothing (slowloris) must not keep the socket
}

function unreadable(code: string | undefined): [number, string] {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, `The request headers are larger than keygate reads (${maxHeaderSize} bytes in all): send shorter ones.\n`];
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return [413, 'The chunk extensions of the request body are too large: send the body without them.\n'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'The request took too long to arrive.\n'];
    default:
      return [400, 'keygate could not read this HTTP request: check its request line and headers (one Content-Length or Transfer-Encoding, no control characters).\n'];
  }
}

/** Listens, and tells the gateway the port (PORT=0 picks one only now). */
export async function listen(
  server: Server,
  gateway: Gateway,
  port: number,
  host: string,
  /** The accept queue; Node's default is 511. */
  backlog = 511,
): Promise<{ port: number; url: string }> {
  server.listen({ port, host, backlog });
  await once(server, 'listening');
  const actual = (server.address() as AddressInfo).port;
  gateway.hosts.listeningOn(actual);
  // All interfaces is not an address to browse to: name loopback, which the host check always answers.
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return { port: actual, url: `http://${shown}:${actual}` };
}

/**
 * Yoga builds a URL from the Host header and the request target; from `Host: a b`, `Host: [zz`
 * or a full URL as the target it fails with an error whose stack names install paths, answered
 * as a 500. Such requests, and those with more than one Host, get a plain 400 here instead.
 */
function malformedRequest(req: IncomingMessage): string | undefined {
  if (!req.url?.startsWith('/')) return 'Send the request target as a path, such as POST /graphql (not a full URL).\n';
  if (!parseHost(req.headers.host)) return 'Send a Host header naming the gateway, such as Host: localhost:4000.\n';
  // Node keeps the first of several; a proxy in front may have judged the request by another (RFC 9112: 400).
  if (hostHeaders(req.rawHeaders) > 1) return 'Send one Host header.\n';
  return undefined;
}

function hostHeaders(raw: string[]): number {
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') count++;
  return count;
}

/**
 * A client that stops reading would keep its socket, and the response buffered for it, forever:
 * while a response is being written, the socket may be idle at most `ms`. Set on the first write,
 * after the adapter has cleared the socket's timeout for streamed bodies; once the response is
 * done, Node's keep-alive timeout takes over.
 */
function closeWhenWritesStall(res: ServerResponse, ms: number): void {
  const write = res.write;
  res.write = function (this: ServerResponse, ...args: Parameters<ServerResponse['write']>) {
    res.write = write;
    res.setTimeout(ms);
    return write.apply(this, args);
  } as ServerResponse['write'];
}
