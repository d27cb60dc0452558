// The HTTP server main.ts runs (and tests listen with): clients that are slow, idle or never read
// are closed rather than holding a socket and its buffers for ever.
import { once } from 'node:events';
import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { GraphiQLAssets } from '../src/graphiql-assets.js';
import { SERVER_TIMEOUTS, createHttpServer, listen, type ServerTimeouts } from '../src/server.js';
import { until } from './support/clock.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());

/** A server with some timeouts shortened, and a promise per accepted connection that settles when the server closes it. */
async function serve(timeouts: Partial<ServerTimeouts>) {
  const server: Server = createHttpServer(t.gateway, timeouts);
  const closed: Promise<void>[] = [];
  // Not once(): a timed-out socket emits 'error' (ERR_HTTP_REQUEST_TIMEOUT) on its way to 'close'.
  server.on('connection', (socket: Socket) => closed.push(new Promise((resolve) => socket.on('close', () => resolve()))));
  const { port } = await listen(server, t.gateway, 0, '127.0.0.1');
  onTestFinished(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  const open = async () => {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    onTestFinished(() => void socket.destroy());
    return { socket, closedByServer: () => closed[closed.length - 1]! };
  };
  return { port, open };
}

describe('server settings', () => {
  it('main.ts and the tests get the same server: header, request, keep-alive and write-stall timeouts', () => {
    const server = createHttpServer(t.gateway);
    expect({ headers: server.headersTimeout, request: server.requestTimeout, keepAlive: server.keepAliveTimeout }).toEqual({
      headers: SERVER_TIMEOUTS.headersMs,
      request: SERVER_TIMEOUTS.requestMs,
      keepAlive: SERVER_TIMEOUTS.keepAliveMs,
    });
    expect(SERVER_TIMEOUTS.writeStallMs).toBeGreaterThan(0);
  });
});

describe('clients that hold a socket', () => {
  it('a client that never reads a large response is disconnected once writing stalls', async () => {
    const manifest = await new GraphiQLAssets().get();
    const { port, open } = await serve({ writeStallMs: 300 });
    const { socket, closedByServer } = await open();
    socket.pause(); // read nothing: the kernel buffers fill and writing stops
    socket.write(`GET /graphiql/${manifest.assets.js.file} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`); // 5 MB, uncompressed
    await closedByServer(); // without the write-stall timeout this never happens
  });

  it('a client that sends its headers slowly (slowloris) is disconnected', async () => {
    const { port, open } = await serve({ headersMs: 300, checkIntervalMs: 100 });
    const { socket, closedByServer } = await open();
    socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`); // and never the blank line
    await closedByServer();
  });

  it('an idle keep-alive connection is closed', async () => {
    const { port, open } = await serve({ keepAliveMs: 200 });
    const { socket, closedByServer } = await open();
    socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    const [first] = (await once(socket, 'data')) as [Buffer];
    expect(first.toString()).toMatch(/^HTTP\/1\.1 200/);
    await closedByServer();
  });

  it('a client that reads normally gets the whole file, with the write-stall timer armed', async () => {
    const manifest = await new GraphiQLAssets().get();
    // Longer than any pause of this process (the client reads on the same event loop) can be.
    const { port, open } = await serve({ writeStallMs: 5_000 });
    const { socket } = await open();
    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.write(`GET /graphiql/${manifest.assets.js.file} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    await once(socket, 'close');
    expect(received).toBeGreaterThan(manifest.assets.js.bytes.identity);
  });
});

describe('clients that leave mid-request', () => {
  it('a body cut off by the client is logged at debug, with no stack, and the server goes on', async () => {
    await using logged = await startTestGateway({ captureLogs: true });
    const server = createHttpServer(logged.gateway);
    const { port } = await listen(server, logged.gateway, 0, '127.0.0.1');
    onTestFinished(async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    });
    const seen = (pattern: RegExp) => until(() => logged.logs().some((line) => pattern.test(line)), String(pattern));
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"que\r\n`,
    );
    await seen(/Parsing request/); // yoga is reading the body
    socket.destroy();
    await seen(/"msg":"graphql request"/);
    const lines = logged.logs().map((line) => JSON.parse(line) as { level: number; msg: string; err?: { stack?: string } });
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);
    expect(lines.filter((line) => line.err?.stack)).toEqual([]);
    expect(lines.some((line) => line.msg === 'the client left during its request')).toBe(true);
    // Its request line says the client left, not that keygate failed.
    const requestLines = lines.filter((line) => line.msg.startsWith('graphql request')) as unknown as Record<string, unknown>[];
    expect(requestLines).toEqual([expect.objectContaining({ level: 30, outcome: 'rejected', clientLeft: true })]);
    expect(requestLines[0]).not.toHaveProperty('errors');
    expect((await logged.query('{ __typename }')).body.data).toEqual({ __typename: 'Query' });
  });
});

describe('requests Node cannot parse', () => {
  /** Sends raw bytes on a connection of its own and returns all the server wrote before it closed. */
  async function exchange(port: number, bytes: string): Promise<string> {
    const socket = connect(port, '127.0.0.1');
    onTestFinished(() => void socket.destroy());
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.write(bytes);
    await once(socket, 'close');
    return received;
  }

  it.each([
    ['headers past the size limit', (host: string) => `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, /larger than keygate reads/],
    ['a control character in a header', (host: string) => `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nX-A: a\x01b\r\n\r\n`, 400, /could not read this HTTP request/],
    ['Content-Length and Transfer-Encoding together', (host: string) => `POST /graphql HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}`, 400, /could not read this HTTP request/],
  ])('%s: a status with a sentence that says what to fix, and the server goes on', async (_, request, status, message) => {
    const { port } = await serve({});
    const answer = await exchange(port, request(`127.0.0.1:${port}`));
    expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(answer).toMatch(/\r\ncontent-type: text\/plain; charset=utf-8\r\n/);
    expect(answer.split('\r\n\r\n')[1]).toMatch(message);
    expect(await exchange(port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('on a kept-alive connection whose earlier request was answered, the bad one is answered too', async () => {
    const { port, open } = await serve({});
    const { socket } = await open();
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    await until(() => /^HTTP\/1\.1 200 [\s\S]*\r\n\r\n\S/.test(received), 'the first answer');
    socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-A: a\x01b\r\n\r\n`);
    await once(socket, 'close');
    expect(received).toMatch(/\r\nHTTP\/1\.1 400 [\s\S]*could not read this HTTP request/);
  });
});
