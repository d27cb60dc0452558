// Serves a gateway over real HTTP on a free loopback port, for clients that need a URL (browsers).
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Gateway } from '../../src/gateway.js';

export interface Listening extends AsyncDisposable {
  /** e.g. http://127.0.0.1:40123 (no trailing slash) */
  url: string;
  /** Closes keep-alive connections that are idle now. */
  closeIdle(): void;
  close(): Promise<void>;
  /** close(), for `await using server = await listen(gateway)`. */
  [Symbol.asyncDispose](): Promise<void>;
}

export async function listen(gateway: Gateway): Promise<Listening> {
  const server = createServer(gateway.yoga);
  // Room for a flood's connections in the accept queue (Node's default is 511): on a busy machine
  // an overflowed connection may never be accepted, and its client sees ECONNRESET.
  server.listen({ port: 0, host: '127.0.0.1', backlog: 2_048 });
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections(); // a browser's keep-alive connections would hold close() open
      await closed;
    })());
  return {
    url: `http://127.0.0.1:${port}`,
    closeIdle: () => server.closeIdleConnections(),
    close,
    [Symbol.asyncDispose]: close,
  };
}
