// Shared plumbing for the provider simulators: routing over node:http, request counters,
// fault injection, latency, JSON helpers, and the secret/date helpers both providers need.
import { createHash, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  | { mode: 'error' } // 500 with the provider's own error body
  | { mode: 'garbage' } // 200, Content-Type application/json, body that is not JSON
  | { mode: 'hang' } // read the request, never answer (until close())
  | { mode: 'drop' } // destroy the socket without any response
  | { mode: 'rate-limit'; retryAfterSeconds?: number } // 429 (Retry-After when given; provider error body)
  | { mode: 'reshape'; body: (body: unknown) => unknown }; // do the work, then answer with the body rewritten (a field of another shape)

export interface SimulatorControl {
  readonly url: string;
  /** Requests received on a route template such as 'GET /api/users/{userId}/apikeys'; no argument: all routes. Counted on arrival, including faulted ones and 401s. */
  requests(route?: string): number;
  /** Requests so far per route template (every route the simulator serves, zeros included). */
  counts(): Record<string, number>;
  resetCounts(): void;
  /** Inject a fault on a route template, or '*' for every route. `times`: only the next N matching requests, then normal again. */
  fault(route: string, fault: Fault, options?: { times?: number }): void;
  clearFaults(): void;
  /** Delay before answering every request. */
  setLatency(ms: number): void;
  /**
   * Holds requests on a route template (or '*' for every route) until `release()`: a request that
   * is in flight for as long as a test needs, without racing a clock. Held requests are counted on
   * arrival; once released they are answered as usual (latency and faults included).
   */
  hold(route: string): Hold;
  /** Ends in-flight (also hanging and held) requests and stops listening. */
  close(): Promise<void>;
  /** close(), for `await using sim = await startOctopusSimulator()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Requests held by `hold()`. */
export interface Hold {
  /** Resolves when the first request is held. */
  readonly arrived: Promise<void>;
  /** Resolves once `n` requests have been held since `hold()`. */
  arrivals(n: number): Promise<void>;
  /** Requests held now (a request whose client has given up stays held until release()). */
  readonly waiting: number;
  /** The most requests held at the same time. */
  readonly maxWaiting: number;
  /** Lets every held request through and stops holding new ones. Calling it again does nothing. */
  release(): void;
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export type JsonBody =
  | { ok: true; value: unknown }
  | { ok: false; problem: 'missing' | 'invalid' | 'too-large' };

export interface RequestContext {
  readonly method: string;
  readonly url: URL;
  /** Decoded path parameters, by the names used in the route template. */
  readonly params: Readonly<Record<string, string>>;
  /** First value of a request header (name is case-insensitive). */
  header(name: string): string | undefined;
  /** Reads the body (at most MAX_BODY_BYTES) and parses it as JSON. */
  readJson(): Promise<JsonBody>;
}

export type Handler = (ctx: RequestContext) => Reply | Promise<Reply>;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Template with `{name}` segments, e.g. '/api/users/{userId}/apikeys/{id}'. */
  path: string;
  handle: Handler;
}

/** The bodies a provider answers with when the plumbing, not a handler, produces the response. */
export interface ProviderErrors {
  notFound(): Reply;
  methodNotAllowed(method: string): Reply;
  internalError(): Reply; // also the body of the 'error' fault
  tooManyRequests(): Reply; // Retry-After is added by the plumbing
}

export interface SimulatorServerOptions {
  host?: string;
  port?: number;
  latencyMs?: number;
  routes: Route[];
  errors: ProviderErrors;
}

/** Everything in SimulatorControl except `url`, which each provider derives from `origin`. */
export type SimulatorServer = Omit<SimulatorControl, 'url'> & { readonly origin: string };

export const MAX_BODY_BYTES = 64 * 1024;

/** Thrown by a handler (or its helpers) to answer with `reply` straight away. */
export class Rejection extends Error {
  constructor(readonly reply: Reply) {
    super(`rejected with ${reply.status}`);
  }
}

export function json(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return headers ? { status, body, headers } : { status, body };
}

const withHeader = (reply: Reply, name: string, value: string): Reply => ({
  ...reply,
  headers: { ...reply.headers, [name]: value },
});

interface CompiledRoute extends Route {
  template: string; // 'GET /api/users/{userId}'
  segments: string[];
  literalCount: number; // more literal segments win: '/api/users/me' beats '/api/users/{userId}'
}

type Match =
  | { kind: 'route'; route: CompiledRoute; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allow: string[] }
  | { kind: 'not-found' };

const isParam = (segment: string) => segment.startsWith('{') && segment.endsWith('}');

function compile(route: Route): CompiledRoute {
  const segments = route.path.split('/');
  return {
    ...route,
    template: `${route.method} ${route.path}`,
    segments,
    literalCount: segments.filter((s) => !isParam(s)).length,
  };
}

function matchPath(route: CompiledRoute, parts: string[]): Record<string, string> | undefined {
  if (route.segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, segment] of route.segments.entries()) {
    const part = parts[i] ?? '';
    if (isParam(segment)) {
      if (part === '') return undefined;
      try {
        params[segment.slice(1, -1)] = decodeURIComponent(part);
      } catch {
        return undefined; // malformed %-escape: no route has such a path
      }
    } else if (segment !== part) {
      return undefined;
    }
  }
  return params;
}

function findRoute(routes: CompiledRoute[], method: string, pathname: string): Match {
  const parts = pathname.split('/');
  let best: { route: CompiledRoute; params: Record<string, string> } | undefined;
  const allow: string[] = [];
  for (const route of routes) {
    const params = matchPath(route, parts);
    if (!params) continue;
    allow.push(route.method);
    if (route.method === method && (!best || route.literalCount > best.route.literalCount)) {
      best = { route, params };
    }
  }
  if (best) return { kind: 'route', ...best };
  return allow.length > 0 ? { kind: 'method-not-allowed', allow } : { kind: 'not-found' };
}

async function readJson(req: IncomingMessage): Promise<JsonBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Keep draining past the cap so the connection stays usable for the reply.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  if (size > MAX_BODY_BYTES) return { ok: false, problem: 'too-large' };
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return { ok: false, problem: 'missing' };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, problem: 'invalid' };
  }
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.headersSent) return; // close() got there first
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...reply.headers,
  });
  res.end(text);
}

export async function startSimulatorServer(options: SimulatorServerOptions): Promise<SimulatorServer> {
  const routes = options.routes.map(compile);
  const templates = new Set(routes.map((r) => r.template));
  const counts = new Map<string, number>();
  let total = 0;
  const faults = new Map<string, { fault: Fault; remaining: number | undefined }>();
  let latencyMs = checkLatency(options.latencyMs ?? 0);
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const holds = new Map<string, HoldState>();
  let closing: Promise<void> | undefined;

  const assertTemplate = (route: string) => {
    if (!templates.has(route)) {
      throw new RangeError(`Unknown route template '${route}'. Known: ${[...templates].join(', ')}`);
    }
  };

  // Route-specific faults win over '*'; a fault with `times` expires after that many uses.
  const takeFault = (template: string | undefined): Fault | undefined => {
    const key = template !== undefined && faults.has(template) ? template : '*';
    const rule = faults.get(key);
    if (!rule) return undefined;
    if (rule.remaining !== undefined && --rule.remaining <= 0) faults.delete(key);
    return rule.fault;
  };

  // Never resolves once close() has cleared the timer; the request is being torn down anyway.
  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const applyFault = (fault: Exclude<Fault, { mode: 'reshape' }>, req: IncomingMessage, res: ServerResponse): void => {
    switch (fault.mode) {
      case 'error':
        return send(res, options.errors.internalError());
      case 'garbage':
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end('<html>oops');
        return;
      case 'hang':
        req.resume(); // read the request, then stay silent until close()
        return;
      case 'drop':
        req.socket.destroy();
        return;
      case 'rate-limit': {
        const reply = options.errors.tooManyRequests();
        const retry = fault.retryAfterSeconds;
        return send(res, retry === undefined ? reply : withHeader(reply, 'Retry-After', String(retry)));
      }
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    // Prefixing (rather than resolving against a base) keeps a path like '//x' a path, not a host.
    const url = new URL(`http://simulator.invalid${req.url?.startsWith('/') ? req.url : '/'}`);
    const match = findRoute(routes, method, url.pathname);
    const template = match.kind === 'route' ? match.route.template : undefined;
    total += 1;
    if (template) counts.set(template, (counts.get(template) ?? 0) + 1);

    // Route-specific holds win over '*', as faults do.
    const held = (template !== undefined ? holds.get(template) : undefined) ?? holds.get('*');
    if (held) await held.enter();
    if (latencyMs > 0) await delay(latencyMs);
    const fault = takeFault(template);
    if (fault && fault.mode !== 'reshape') return applyFault(fault, req, res);

    if (match.kind === 'not-found') return send(res, options.errors.notFound());
    if (match.kind === 'method-not-allowed') {
      return send(res, withHeader(options.errors.methodNotAllowed(method), 'Allow', [...new Set(match.allow)].join(', ')));
    }
    let body: Promise<JsonBody> | undefined;
    const ctx: RequestContext = {
      method,
      url,
      params: match.params,
      header: (name) => {
        const value = req.headers[name.toLowerCase()];
        return Array.isArray(value) ? value[0] : value;
      },
      readJson: () => (body ??= readJson(req)),
    };
    try {
      const reply = await match.route.handle(ctx);
      send(res, fault?.mode === 'reshape' ? { ...reply, body: fault.body(reply.body) } : reply);
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      send(res, error.reply);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A handler bug: answer like the provider's own 500 and make the bug visible.
      console.error('simulator handler failed:', error);
      send(res, options.errors.internalError());
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  const control: SimulatorServer = {
    origin: `http://${urlHost}:${port}`,
    requests(route) {
      if (route === undefined) return total;
      assertTemplate(route);
      return counts.get(route) ?? 0;
    },
    counts() {
      return Object.fromEntries([...templates].map((template) => [template, counts.get(template) ?? 0]));
    },
    resetCounts() {
      counts.clear();
      total = 0;
    },
    fault(route, fault, faultOptions) {
      if (route !== '*') assertTemplate(route);
      const times = faultOptions?.times;
      if (times !== undefined && (!Number.isInteger(times) || times < 1)) {
        throw new RangeError(`fault times must be a positive integer, got ${times}`);
      }
      faults.set(route, { fault, remaining: times });
    },
    clearFaults() {
      faults.clear();
    },
    setLatency(ms) {
      latencyMs = checkLatency(ms);
    },
    hold(route) {
      if (route !== '*') assertTemplate(route);
      const state = createHold(() => {
        if (holds.get(route) === state) holds.delete(route);
      });
      holds.set(route, state);
      return state.hold;
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        // Let held handlers finish; their sockets are destroyed below, so nothing is sent.
        for (const state of [...holds.values()]) state.hold.release();
        server.close((error) => (error ? reject(error) : resolve()));
        // Hanging and keep-alive connections would otherwise hold close() open.
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
    // Not `this`: the providers spread these methods into their own objects.
    [Symbol.asyncDispose]: () => control.close(),
  };
  return control;
}

/** One hold(): the requests it keeps waiting, and who is waiting for how many to arrive. */
interface HoldState {
  hold: Hold;
  /** For a request that arrives: resolves when it may go on (at once after release). */
  enter(): Promise<void>;
}

function createHold(onRelease: () => void): HoldState {
  let held = 0;
  let waiting = 0;
  let maxWaiting = 0;
  let released = false;
  const waiters: (() => void)[] = [];
  const arrivalWaiters: { n: number; resolve: () => void }[] = [];
  const arrivals = (n: number) =>
    held >= n ? Promise.resolve() : new Promise<void>((resolve) => arrivalWaiters.push({ n, resolve }));
  return {
    hold: {
      arrived: arrivals(1),
      arrivals,
      get waiting() {
        return waiting;
      },
      get maxWaiting() {
        return maxWaiting;
      },
      release() {
        if (released) return;
        released = true;
        onRelease();
        for (const go of waiters.splice(0)) go();
      },
    },
    enter() {
      if (released) return Promise.resolve();
      held += 1;
      waiting += 1;
      maxWaiting = Math.max(maxWaiting, waiting);
      for (const waiter of arrivalWaiters.filter((w) => w.n <= held)) {
        arrivalWaiters.splice(arrivalWaiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      return new Promise<void>((resolve) =>
        waiters.push(() => {
          waiting -= 1;
          resolve();
        }),
      );
    },
  };
}

function checkLatency(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`latency must be a non-negative number of ms, got ${ms}`);
  return ms;
}

// ---- secrets and dates (shared by both providers) -------------------------------------------

/** What the simulators store instead of a secret. */
export function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function randomString(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?$/i;

/** Parses an ISO-8601 date-time; a value without a zone is taken as UTC (as both providers' naive timestamps are). */
export function parseDateTime(value: string): Date | undefined {
  if (!ISO_DATE_TIME.test(value)) return undefined;
  const hasZone = /(Z|[+-]\d{2}:\d{2})$/i.test(value);
  const date = new Date(hasZone ? value : `${value}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** For seed data: a Date, or a string parseDateTime accepts. */
export function toDate(value: Date | string, what: string): Date {
  const date = typeof value === 'string' ? parseDateTime(value) : new Date(value.getTime());
  if (!date || Number.isNaN(date.getTime())) throw new RangeError(`${what}: not a valid date-time: ${String(value)}`);
  return date;
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/** Keys by id and by secret digest; the plain secret itself is never stored. */
export class KeyStore<K extends { readonly id: string | number; readonly digest: string }> {
  readonly #byId = new Map<K['id'], K>();
  readonly #byDigest = new Map<string, K>();

  add(key: K): K {
    if (this.#byDigest.has(key.digest)) throw new Error(`key ${key.id}: the same secret is already in use`);
    this.#byId.set(key.id, key);
    this.#byDigest.set(key.digest, key);
    return key;
  }

  get(id: K['id']): K | undefined {
    return this.#byId.get(id);
  }

  findBySecret(secret: string): K | undefined {
    return this.#byDigest.get(digest(secret));
  }

  delete(key: K): void {
    this.#byId.delete(key.id);
    this.#byDigest.delete(key.digest);
  }

  values(): K[] {
    return [...this.#byId.values()];
  }
}
