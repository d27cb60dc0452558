// A provider the test answers by hand, on a plain node:http server: for bodies no simulator sends
// (stack traces, echoed credentials) and for holding a request exactly as long as the test wants.
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RawRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  res: ServerResponse;
}

export interface RawProvider {
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  requests: RawRequest[];
  /** The n-th request (from 1), once it has arrived. */
  request(n: number): Promise<RawRequest>;
  close(): Promise<void>;
}

/** Sends a JSON answer. */
export function answer(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/**
 * Every request is recorded and then handed to `respond`; without one (or when it does not answer),
 * the request waits until the test answers it through `request(n).res`.
 */
export async function startRawProvider(respond?: (request: RawRequest) => void): Promise<RawProvider> {
  const requests: RawRequest[] = [];
  const waiting = new Map<number, (request: RawRequest) => void>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString(), res };
      requests.push(request);
      waiting.get(requests.length)?.(request);
      respond?.(request);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    request: (n) => (requests[n - 1] ? Promise.resolve(requests[n - 1]!) : new Promise((resolve) => waiting.set(n, resolve))),
    close: async () => {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
