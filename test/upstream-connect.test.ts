// Whether a failed write may have reached the provider, when the connection itself failed. Its own
// file: the fake timers of upstream-http.test.ts leave undici's connect timeout (which runs on
// undici's own coarse timer) stalled for the rest of that file.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { expect, it, onTestFinished } from 'vitest';
import { UpstreamHttp } from '../src/upstream/http.js';
import { failure } from './support/failure.js';

async function listen(onSocket: (socket: Socket) => void): Promise<string> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
}

function create(baseUrl: string, timeoutMs: number) {
  const pool = new UpstreamHttp({ provider: 'OCTOPUS', baseUrl, timeoutMs, retries: 0, breakerThreshold: 0 });
  onTestFinished(() => pool.destroy());
  return failure(pool.request({ method: 'POST', route: '/x', path: '/x', headers: {}, body: {}, retry: false }));
}

it('a create whose TLS handshake never completes was not sent, though it timed out', async () => {
  // The server accepts the connection and says nothing: the request waits for a connection that
  // never comes, and nothing of it is written.
  const silent = await listen(() => {});
  expect(await create(silent, 200)).toMatchObject({
    code: 'UPSTREAM_TIMEOUT',
    mayHaveReachedProvider: false,
    message: 'Octopus Deploy could not be reached within 200 ms; the request was not sent.',
  });
});

it('a create whose TLS handshake the server garbles was not sent', async () => {
  const garbling = await listen((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
  expect(await create(garbling, 10_000)).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', mayHaveReachedProvider: false });
});
