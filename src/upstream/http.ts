import { EventEmitter } from 'node:events';
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  DelegateBackoff,
  circuitBreaker,
  handleWhen,
  retry,
  type CircuitBreakerPolicy,
  type CircuitState,
  type RetryPolicy,
} from 'cockatiel';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { UpstreamError, codeForStatus, providerNames, type ErrorCode, type Provider } from './errors.js';

/** One attempt at an upstream call, as reported to logs and metrics (never holds a credential). */
export interface UpstreamCall {
  provider: Provider;
  method: string;
  /** The route template, e.g. `/users/{userId}/apikeys`: low-cardinality, safe as a metric label. */
  route: string;
  /** HTTP status, or undefined when no response arrived. */
  status?: number;
  /** The error code when the attempt failed. */
  code?: ErrorCode;
  durationMs: number;
  attempt: number;
}

export type UpstreamObserver = (call: UpstreamCall) => void;

export interface UpstreamHttpOptions {
  provider: Provider;
  /** Base URL every request path is appended to, e.g. `https://octopus.example/api`. */
  baseUrl: string;
  /** Per attempt: a provider that has not answered by then is cut off with `UPSTREAM_TIMEOUT`. */
  timeoutMs: number;
  /**
   * How long an attempt may wait for a free connection before it is refused with
   * `SERVICE_UNAVAILABLE` without being sent (default: `timeoutMs`). The provider's own timeout
   * starts once the request has a connection.
   */
  queueTimeoutMs?: number;
  /** Extra attempts for reads (writes are never repeated). */
  retries?: number;
  /** First backoff step; doubles per retry, with jitter. */
  retryBaseDelayMs?: number;
  /** A `Retry-After` longer than this is not waited for: the caller gets `RATE_LIMITED` instead. */
  maxRetryAfterMs?: number;
  /** Connections in the keep-alive pool: also the cap on concurrent requests to this upstream. */
  connections?: number;
  /** Consecutive failed calls that open the circuit (0 turns the breaker off). */
  breakerThreshold?: number;
  /** How long an open circuit answers `UPSTREAM_UNAVAILABLE` before letting one probe through. */
  breakerHalfOpenAfterMs?: number;
  /** Larger response bodies are refused, so a misbehaving upstream cannot exhaust memory. */
  maxResponseBytes?: number;
  /**
   * The provider's documented human message in a 4xx error body (provider-specific, so supplied by
   * the client). It is shortened, and dropped if it holds a credential; 5xx bodies are never read.
   */
  describeError?: (body: unknown) => string | undefined;
  /** Called for every attempt (metrics). */
  observer?: UpstreamObserver;
  onCircuitStateChange?: (state: CircuitState) => void;
}

export interface UpstreamRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Route template for logs and metrics. */
  route: string;
  /** Path below the base URL, already percent-encoded; may carry a query string. */
  path: string;
  headers: Record<string, string>;
  body?: unknown;
  /**
   * Reads only. Writes are never repeated: a repeated create can mint a second key, and a
   * repeated delete whose first attempt landed would report a revoked key as not found.
   */
  retry: boolean;
  /** `none`: a 2xx body is read and thrown away (Octopus answers DELETE with anything from nothing to `{}`). */
  expect?: 'json' | 'none';
  /** Called for every attempt of this request (request-scoped logging). */
  observer?: UpstreamObserver;
  /**
   * Asked before the request waits for a connection, and again once one is free, just before it
   * is sent; throws when it must not be sent any more. A create waits while every connection is
   * busy, and its client may leave, or shutdown begin, meanwhile: a key made then has a secret no
   * one can receive.
   */
  beforeSend?: () => void;
  /**
   * Credentials held by the whole GraphQL request. A provider message that contains any of them
   * (or any value of `headers`) is never shown.
   */
  redact?: readonly string[];
  /**
   * A moment (`performance.now()`) by which the request must have ended, sooner than its timeouts
   * would end it: a create's lookup must end within the time the shutdown grace period covers for
   * the create (`UpstreamResponse.deadline`). Retries (`retry`) wait only while they fit before it.
   */
  endBy?: number;
  /**
   * A create's lookup, whose secret is already in hand (created-lookup.ts): refusing it would throw
   * away the only copy of a key that exists. It is sent whatever the circuit breaker says (other
   * calls failing meanwhile may have opened it) and not counted by it, and it is first in line for
   * the next free connection rather than behind every read queued meanwhile.
   */
  completesCreate?: boolean;
}

export interface UpstreamResponse {
  status: number;
  body: unknown;
  /**
   * A write's: the moment (`performance.now()`) its time ends, twice the timeout from when it began
   * to wait for a connection, which is what the shutdown grace period covers for a create. A call
   * that completes the write's outcome (created-lookup.ts) ends by then too.
   */
  deadline?: number;
}

type Tunables = 'retries' | 'retryBaseDelayMs' | 'maxRetryAfterMs' | 'connections' | 'breakerThreshold' | 'breakerHalfOpenAfterMs' | 'maxResponseBytes';

const DEFAULTS: Required<Pick<UpstreamHttpOptions, Tunables>> = {
  retries: 2,
  retryBaseDelayMs: 100,
  maxRetryAfterMs: 5_000,
  connections: 32,
  breakerThreshold: 5,
  breakerHalfOpenAfterMs: 10_000,
  maxResponseBytes: 8 * 1024 * 1024,
};

const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

/** A provider's own message is shown at most this long. */
export const MAX_PROVIDER_MESSAGE = 300;

/**
 * Failures that say the upstream is unhealthy. Not: its refusals of this particular request (any
 * 4xx: an unknown user, a bad id), which show it answering well, nor a request that waited for a
 * connection and was never sent (`SERVICE_UNAVAILABLE`), which says nothing about the provider, nor
 * an answer past the size cap: one credential's long list must not shut every other one out.
 */
function isHealthFailure(error: unknown): boolean {
  if (!(error instanceof UpstreamError) || oversized.has(error)) return false;
  if (error.code === 'UPSTREAM_TIMEOUT' || error.code === 'UPSTREAM_UNAVAILABLE') return true;
  return error.code === 'UPSTREAM_ERROR' && !(error.status !== undefined && error.status >= 400 && error.status < 500);
}

/**
 * Set on a request's options: called once undici starts writing it on a connected socket (its
 * handler's onRequestStart). Before that nothing of it has left keygate, whatever failed (no
 * connection, a TLS handshake refused or hanging, the pool closed); from then on the provider may
 * have it. Error codes cannot say which: a TLS failure can come before the handshake or after.
 */
const ON_WRITE = Symbol('keygate.onWrite');
type MarkedOptions = Dispatcher.RequestOptions & { [ON_WRITE]?: () => void };

const markWrites: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
  const onWrite = (opts as MarkedOptions)[ON_WRITE];
  if (!onWrite) return dispatch(opts, handler);
  return dispatch(opts, {
    onRequestStart: (controller, context) => {
      handler.onRequestStart?.(controller, context);
      // A request aborted while it waited for the connection (our timeout) is dropped right here.
      if (!controller.aborted) onWrite();
    },
    onRequestUpgrade: (...args) => handler.onRequestUpgrade?.(...args),
    onResponseStart: (...args) => handler.onResponseStart?.(...args),
    onResponseData: (...args) => handler.onResponseData?.(...args),
    onResponseEnd: (...args) => handler.onResponseEnd?.(...args),
    onResponseError: (...args) => handler.onResponseError?.(...args),
  });
};

/** What became of one attempt so far: whether undici began writing it, and the status it got. */
interface Progress {
  written: boolean;
  status?: number;
}

/**
 * JSON over a keep-alive undici pool to one upstream origin, with a timeout per attempt, bounded
 * retries for reads, and a circuit breaker. Every failure leaves as an
 * `UpstreamError` carrying a code from the design's table.
 */
export class UpstreamHttp {
  readonly provider: Provider;
  private readonly pool: Pool;
  /** The pool, telling each request when it starts to be written (markWrites). */
  private readonly dispatcher: Dispatcher;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly options: UpstreamHttpOptions & typeof DEFAULTS;
  private readonly retryPolicy: RetryPolicy;
  private readonly breaker?: CircuitBreakerPolicy;
  private readonly slots: ConnectionSlots;

  constructor(options: UpstreamHttpOptions) {
    this.options = { ...DEFAULTS, ...stripUndefined(options) };
    this.provider = options.provider;
    const base = new URL(options.baseUrl);
    this.origin = base.origin;
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.pool = new Pool(base.origin, {
      connections: this.options.connections,
      pipelining: 1,
      // Our own timer bounds each attempt; undici's inactivity timers stay as a backstop.
      headersTimeout: options.timeoutMs + 1_000,
      bodyTimeout: 2 * options.timeoutMs + 1_000, // a write's body may take longer (see send)
      connectTimeout: Math.min(options.timeoutMs, 10_000),
    });
    this.dispatcher = this.pool.compose(markWrites);
    this.slots = new ConnectionSlots(this.options.connections);

    this.retryPolicy = this.retrying();

    if (this.options.breakerThreshold > 0) {
      this.breaker = circuitBreaker(handleWhen(isHealthFailure), {
        halfOpenAfter: this.options.breakerHalfOpenAfterMs,
        breaker: new ConsecutiveBreaker(this.options.breakerThreshold),
      });
      const onChange = options.onCircuitStateChange;
      if (onChange) this.breaker.onStateChange(onChange);
    }
  }

  /**
   * A server-relative link (Octopus `Links`) as a path below our base URL, or undefined when it
   * points anywhere else: a credential must never follow a link off the configured upstream.
   */
  pathBelowBase(link: string): string | undefined {
    let url: URL;
    try {
      url = new URL(link, this.origin);
    } catch {
      return undefined;
    }
    if (url.origin !== this.origin || !url.pathname.startsWith(`${this.basePath}/`)) return undefined;
    return url.pathname.slice(this.basePath.length) + url.search;
  }

  async request(req: UpstreamRequest): Promise<UpstreamResponse> {
    let attempt = 0;
    const run = () =>
      req.retry
        ? (req.endBy === undefined ? this.retryPolicy : this.retrying(req.endBy)).execute(() => this.attempt(req, ++attempt))
        : this.attempt(req, ++attempt);
    if (!this.breaker || req.completesCreate) return run();
    try {
      return await this.breaker.execute(run);
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new UpstreamError(
          this.provider,
          'UPSTREAM_UNAVAILABLE',
          `${providerNames[this.provider]} has been failing, so keygate is not calling it for a few seconds. Try again shortly.`,
          undefined,
          undefined,
          false,
        );
      }
      throw error;
    }
  }

  /**
   * Retries of reads: connection failures, and 429/502/503/504 (waiting what Retry-After asks, up
   * to maxRetryAfterMs), with backoff. A request that must end by `endBy` (a create's lookup) is
   * retried only while the wait takes at most half the time left: a wait that ran into the deadline
   * would end the request with no answer and without the error that made it wait.
   */
  private retrying(endBy?: number): RetryPolicy {
    const { retries, retryBaseDelayMs, maxRetryAfterMs } = this.options;
    const askedMs = (error: unknown) =>
      error instanceof UpstreamError && error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : undefined;
    /** The longest backoff before retry number `attempt`. */
    const backoffCapMs = (attempt: number) => retryBaseDelayMs * 2 ** (attempt - 1);
    return retry(
      handleWhen(
        (error) =>
          isRetryable(error, maxRetryAfterMs) && (endBy === undefined || (askedMs(error) ?? backoffCapMs(retries)) <= (endBy - performance.now()) / 2),
      ),
      {
        maxAttempts: retries,
        backoff: new DelegateBackoff((context) => {
          const error = 'error' in context.result ? context.result.error : undefined;
          // Exponential with full jitter, so a fleet does not retry in lockstep.
          return askedMs(error) ?? Math.random() * backoffCapMs(context.attempt);
        }),
      },
    );
  }

  /**
   * Whether the upstream answers HTTP at all (any status below 500 counts): a GET of the base path
   * without credentials, outside retries and the breaker. For readiness checks.
   */
  async probe(timeoutMs = Math.min(this.options.timeoutMs, 3_000)): Promise<boolean> {
    try {
      const response = await this.pool.request({
        method: 'GET',
        path: this.basePath || '/',
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body.dump();
      return response.statusCode < 500;
    } catch {
      return false;
    }
  }

  /** Requests waiting for a free connection now. */
  get queued(): number {
    return this.slots.queued;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** Stops at once: in-flight requests fail. For shutdown after the grace period. */
  async destroy(): Promise<void> {
    await this.pool.destroy();
  }

  private async attempt(req: UpstreamRequest, attempt: number): Promise<UpstreamResponse> {
    const queued = performance.now();
    const queueTimeoutMs = this.within(req, this.options.queueTimeoutMs ?? this.options.timeoutMs);
    // Asked before the wait as well as after it: a call refused now (shutdown has begun and its
    // request holds a new secret) must not first wait up to a timeout for a connection, holding
    // that answer back past the grace period.
    this.mayBeSent(req, queued, attempt);
    if (!(await this.slots.acquire(queueTimeoutMs, req.completesCreate))) {
      const failure = new UpstreamError(
        this.provider,
        'SERVICE_UNAVAILABLE',
        `keygate has no free connection to ${providerNames[this.provider]} (all ${this.options.connections} are busy); the request waited ${queueTimeoutMs} ms and was not sent. Try again shortly.`,
        undefined,
        1,
        false,
      );
      this.report(req, { code: failure.code, durationMs: performance.now() - queued, attempt });
      throw failure;
    }
    try {
      this.mayBeSent(req, queued, attempt); // again: the client may have left, or shutdown begun, meanwhile
    } catch (refusal) {
      this.slots.release();
      throw refusal;
    }
    // From here on the time is the provider's.
    const started = performance.now();
    const progress: Progress = { written: false };
    try {
      const response = await this.send(req, queued, progress);
      this.report(req, { status: progress.status, durationMs: performance.now() - started, attempt });
      return response;
    } catch (error) {
      const failure = this.toUpstreamError(error, req, progress);
      this.report(req, { status: progress.status, code: failure.code, durationMs: performance.now() - started, attempt });
      throw failure;
    } finally {
      this.slots.release();
    }
  }

  /** Throws the request's refusal (`beforeSend`), reported as a call not sent, like a queue timeout. */
  private mayBeSent(req: UpstreamRequest, queued: number, attempt: number): void {
    try {
      req.beforeSend?.();
    } catch (refusal) {
      this.report(req, { code: 'SERVICE_UNAVAILABLE', durationMs: performance.now() - queued, attempt });
      throw refusal;
    }
  }

  private report(req: UpstreamRequest, result: Pick<UpstreamCall, 'status' | 'code' | 'durationMs' | 'attempt'>) {
    const call: UpstreamCall = { provider: this.provider, method: req.method, route: req.route, ...result };
    this.options.observer?.(call);
    req.observer?.(call);
  }

  /** `ms` from now, or less when the request must end sooner (`endBy`). */
  private within(req: UpstreamRequest, ms: number): number {
    return req.endBy === undefined ? ms : Math.max(0, Math.min(ms, req.endBy - performance.now()));
  }

  private async send(req: UpstreamRequest, queued: number, progress: Progress): Promise<UpstreamResponse> {
    // undici accepts an EventEmitter as the signal: an AbortController (an EventTarget) cost 15–20 µs
    // per attempt, most of what the timeout cost on the happy path; the timer itself is cheap.
    const signal = new EventEmitter();
    let timedOut = false;
    let status: number | undefined;
    /** A write the provider answered 2xx: it did it, and its body holds the only copy of a create's secret. */
    let accepted = false;
    const cut = () => {
      timedOut = true;
      signal.emit('abort');
    };
    const limitMs = this.within(req, this.options.timeoutMs);
    const timer = setTimeout(cut, limitMs);
    // A write the provider accepts may take longer over its body (below): at most what the wait for
    // a connection left of twice the timeout, which is what the shutdown grace period covers for a
    // create (SHUTDOWN_GRACE_MS). Reads, and writes still waiting for headers, keep the timeout.
    const { timeoutMs } = this.options;
    const started = performance.now();
    const deadline = isWrite(req) ? started + Math.max(timeoutMs, 2 * timeoutMs - (started - queued)) : undefined;
    const writeDeadline = deadline === undefined ? undefined : setTimeout(cut, deadline - started);
    try {
      const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
      let body: string | undefined;
      if (req.body !== undefined) {
        body = JSON.stringify(req.body);
        headers['content-type'] = 'application/json';
      }
      const options: MarkedOptions = {
        method: req.method,
        path: this.basePath + req.path,
        headers,
        body,
        signal,
        [ON_WRITE]: () => (progress.written = true),
      };
      const response = await this.dispatcher.request(options);
      status = response.statusCode;
      progress.status = status;
      accepted = writeDeadline !== undefined && status >= 200 && status < 300;
      if (accepted) clearTimeout(timer); // its body has until writeDeadline
      const text = await readText(response.body, this.options.maxResponseBytes);
      const answer = this.interpret(req, response, text);
      if (deadline !== undefined) answer.deadline = deadline;
      return answer;
    } catch (error) {
      if (timedOut) {
        const name = providerNames[this.provider];
        const message = !progress.written
          ? `${name} could not be reached within ${limitMs} ms; the request was not sent.`
          : status === undefined
            ? `${name} did not answer within ${limitMs} ms.`
            : `${name} answered ${status}, but the rest of its answer did not arrive in time.`;
        throw new UpstreamError(
          this.provider,
          'UPSTREAM_TIMEOUT',
          message,
          // Only an accepted write carries its status: a read's 404 or 503 must not read as "no
          // such key" or be retried once its body timed out.
          accepted ? status : undefined,
          undefined,
          isWrite(req) && progress.written,
        );
      }
      throw error;
    } finally {
      clearTimeout(timer);
      clearTimeout(writeDeadline);
    }
  }

  private interpret(req: UpstreamRequest, response: Dispatcher.ResponseData, text: string): UpstreamResponse {
    const status = response.statusCode;
    const name = providerNames[this.provider];
    const write = isWrite(req);
    if (status >= 200 && status < 300) {
      if (req.expect === 'none') return { status, body: undefined };
      const body = parseJson(text);
      if (body === undefined) {
        throw new UpstreamError(this.provider, 'UPSTREAM_ERROR', `${name} answered with a body that is not JSON.`, status, undefined, write);
      }
      return { status, body };
    }
    const code = codeForStatus(status);
    // A 5xx body is whatever the provider's failure left there (stack traces, configuration, our
    // own credential): never shown. A 4xx shows only the documented message fields.
    const message =
      status >= 500
        ? `${name} failed with HTTP ${status}.`
        : (this.providerMessage(req, text) ?? `${name} refused the request with HTTP ${status}.`);
    const retryAfter = status === 429 || status === 503 ? parseRetryAfter(response.headers['retry-after']) : undefined;
    throw new UpstreamError(this.provider, code, message, status, retryAfter, write);
  }

  /** The provider's documented message, shortened; none when it holds a credential of this request. */
  private providerMessage(req: UpstreamRequest, text: string): string | undefined {
    const described = this.options.describeError?.(parseJson(text))?.trim();
    if (!described) return undefined;
    const secrets = [...(req.redact ?? []), ...Object.values(req.headers)].filter((s) => s.length > 0).map((s) => s.toLowerCase());
    const lower = described.toLowerCase();
    if (secrets.some((secret) => lower.includes(secret))) return undefined;
    return described.length > MAX_PROVIDER_MESSAGE ? `${described.slice(0, MAX_PROVIDER_MESSAGE - 1)}…` : described;
  }

  private toUpstreamError(error: unknown, req: UpstreamRequest, { status, written }: Progress): UpstreamError {
    if (error instanceof UpstreamError) return error;
    const name = providerNames[this.provider];
    if (error instanceof BodyTooLarge) {
      const tooLarge = new UpstreamError(
        this.provider,
        'UPSTREAM_ERROR',
        `${name} answered with more than ${this.options.maxResponseBytes} bytes; keygate refused to read it.`,
        undefined,
        undefined,
        isWrite(req),
      );
      // A 5xx with a large error page is still the provider failing (see isHealthFailure).
      if (status === undefined || status < 500) oversized.add(tooLarge);
      return tooLarge;
    }
    const code = networkErrorCode(error);
    return new UpstreamError(
      this.provider,
      'UPSTREAM_UNAVAILABLE',
      code ? `Could not reach ${name} (${code}).` : `Could not reach ${name}.`,
      undefined,
      undefined,
      isWrite(req) && written,
    );
  }
}

const isWrite = (req: UpstreamRequest) => req.method !== 'GET';

/**
 * At most `size` requests in flight to the provider (the pool's connections); the rest wait, each
 * for a bounded time. undici would queue them too, but then time spent waiting for a connection
 * could not be told apart from time the provider had the request.
 */
class ConnectionSlots {
  private free: number;
  /** Waiters in arrival order (a Set keeps insertion order). */
  private readonly waiting = new Set<() => void>();
  /** Creates' lookups (UpstreamRequest.completesCreate), served before `waiting`. */
  private readonly first = new Set<() => void>();

  constructor(size: number) {
    this.free = size;
  }

  /** Resolves true with a slot, or false when none came free within `waitMs`. */
  acquire(waitMs: number, ahead = false): Promise<boolean> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(true);
    }
    const queue = ahead ? this.first : this.waiting;
    return new Promise((resolve) => {
      const grant = () => {
        clearTimeout(timer);
        queue.delete(grant);
        resolve(true);
      };
      const timer = setTimeout(() => {
        queue.delete(grant);
        resolve(false);
      }, waitMs);
      queue.add(grant);
    });
  }

  /** Requests waiting for a slot now. */
  get queued(): number {
    return this.first.size + this.waiting.size;
  }

  /** Hands the slot to the longest waiter, a create's lookup first, or frees it. */
  release(): void {
    const next = this.first.size > 0 ? this.first.values().next() : this.waiting.values().next();
    if (next.done) this.free++;
    else next.value();
  }
}

function isRetryable(error: unknown, maxRetryAfterMs: number): boolean {
  if (!(error instanceof UpstreamError)) return false;
  if (error.code === 'UPSTREAM_UNAVAILABLE') return true;
  if (error.status === undefined || !RETRYABLE_STATUSES.has(error.status)) return false;
  return error.retryAfterSeconds === undefined || error.retryAfterSeconds * 1000 <= maxRetryAfterMs;
}

class BodyTooLarge extends Error {}

/** Errors of answers below 500 past the size cap (see isHealthFailure). */
const oversized = new WeakSet<UpstreamError>();

async function readText(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      body.destroy();
      throw new BodyTooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    // A byte-order mark may open a JSON text (RFC 8259 8.1 lets a parser ignore it; .NET servers
    // such as Octopus can send one): JSON.parse refuses it, and a create's answer would be lost.
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown;
  } catch {
    return undefined;
  }
}

/** `Retry-After` is either delta-seconds or an HTTP date (RFC 9110 10.2.3). */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  if (/^\d+$/.test(raw.trim())) return Number(raw.trim());
  const date = Date.parse(raw);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/** A system error code such as ECONNREFUSED, looked for on the error and its causes. */
function networkErrorCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
  }
  return undefined;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
