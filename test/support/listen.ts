// Serves a gateway over real HTTP on a free loopback port, for clients that need a URL (browsers),
// with the server main.ts runs (its timeouts and request checks).
import { once } from 'node:events';
import type { Gateway } from '../../src/gateway.js';
import { createHttpServer, listen as listenOn, type ServerTimeouts } from '../../src/server.js';

export interface Listening extends AsyncDisposable {
  /** e.g. http://127.0.0.1:40123 (no trailing slash) */
  url: string;
  /** Closes keep-alive connections that are idle now. */
  closeIdle(): void;
  close(): Promise<void>;
  /** close(), for `await using server = await listen(gateway)`. */
  [Symbol.asyncDispose](): Promise<void>;
}

export async function listen(gateway: Gateway, timeouts: Partial<ServerTimeouts> = {}): Promise<Listening> {
  const server = createHttpServer(gateway, timeouts);
  // Room for a flood's connections in the accept queue (Node's default is 511): on a busy machine
  // an overflowed connection may never be accepted, and its client sees ECONNRESET.
  const { url } = await listenOn(server, gateway, 0, '127.0.0.1', 2_048);
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections(); // a browser's keep-alive connections would hold close() open
      await closed;
    })());
  return {
    url,
    closeIdle: () => server.closeIdleConnections(),
    close,
    [Symbol.asyncDispose]: close,
  };
}
