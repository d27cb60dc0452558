// An HTTP client for tests that talk to a listening gateway, with its own connection pool. Every
// request it sends is owned by the test: when the client is disposed (`await using`), requests still
// running are aborted and settled, so a test that fails half-way leaves no request behind to reject
// later, unhandled, as the connections close (the "unhandled ECONNRESET" of a failed run).
import { Agent, fetch, type RequestInit, type Response } from 'undici';

export interface TestClient extends AsyncDisposable {
  /** `path` is below the base URL, e.g. '/readyz'. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** POSTs to /graphql: a document, or a JSON body as it goes on the wire. */
  graphql(operation: string | { query: string; variables?: Record<string, unknown> }, headers?: Record<string, string>): Promise<Response>;
  /** Closes the client's connections (aborting what still runs) and waits for its requests to settle. */
  close(): Promise<void>;
}

export function testClient(baseUrl: string, options: { connections?: number } = {}): TestClient {
  const agent = new Agent({ connections: options.connections ?? 10, pipelining: 1 });
  const controller = new AbortController();
  const pending = new Set<Promise<unknown>>();
  let closing: Promise<void> | undefined;

  const send = (path: string, init: RequestInit = {}): Promise<Response> => {
    const request = fetch(`${baseUrl}${path}`, { ...init, dispatcher: agent, signal: init.signal ? AbortSignal.any([init.signal, controller.signal]) : controller.signal });
    // Owned here: a rejection the test never awaits is settled on close, not reported as unhandled.
    const settled = request.then(
      () => undefined,
      () => undefined,
    );
    pending.add(settled);
    void settled.then(() => pending.delete(settled));
    return request;
  };

  const close = () =>
    (closing ??= (async () => {
      controller.abort();
      await Promise.allSettled([...pending]);
      await agent.destroy();
    })());

  return {
    fetch: send,
    graphql: (operation, headers = {}) =>
      send('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof operation === 'string' ? JSON.stringify({ query: operation }) : JSON.stringify(operation),
      }),
    close,
    [Symbol.asyncDispose]: close,
  };
}
