import { randomUUID } from 'node:crypto';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../logger.js';
import type { Metrics, Outcome } from '../metrics.js';
import type { UpstreamCall } from '../upstream/http.js';

/** What one GraphQL request did, gathered while it runs and written out as one log line at the end. */
export interface RequestRecord {
  id: string;
  started: number;
  /** For the log: the name the client gave, else the executed operation's. */
  operation?: string;
  /** For metrics: the name of the operation executed, which was in a document that validated. */
  executedName?: string;
  type?: string;
  /** Who called (a token name or JWT subject), when client authentication is on. */
  client?: string;
  executed: boolean;
  hadData: boolean;
  errorCodes: string[];
  upstream: UpstreamCall[];
}

const records = new WeakMap<Request, RequestRecord>();

/** The record of a request, for plugins and the context factory that add to it. */
export function requestRecord(request: Request): RequestRecord | undefined {
  return records.get(request);
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * 32 hex digits (122 random bits), not a UUID: a UUID has the shape of a Hyperstack key, which the
 * audit trail's secret guard would blank out. Drawn through randomUUID, which takes its bytes from a
 * cached pool: randomBytes asks the kernel on every call (7 µs here, 2.4% of a list's CPU).
 */
const newRequestId = (): string => randomUUID().replaceAll('-', '');
/** Operation names and client names are chosen by clients: a 90 KB name must not become a 90 KB log line. */
const MAX_LOGGED_STRING = 100;

function clip(value: string | undefined): string | undefined {
  return value !== undefined && value.length > MAX_LOGGED_STRING ? `${value.slice(0, MAX_LOGGED_STRING)}…` : value;
}

/**
 * One structured log line and one set of metrics per GraphQL request: request id (taken from
 * X-Request-Id when it is sane, else made up, and returned in the response), operation, duration,
 * outcome, error codes and each upstream call. Never headers, variables or results.
 */
export function useRequestLog(options: { logger: Logger; metrics: Metrics; endpoint: string }): Plugin {
  const { logger, metrics, endpoint } = options;
  // The request line is built below from named fields only (ids, names, codes, statuses, timings),
  // none of which the redaction paths can match, so it skips redaction: that was half the cost of
  // the line (bench/README.md). Every other log call keeps the safety net.
  const lines = logger.child({}, { redact: { paths: [] } });
  return {
    onRequest({ request, url }) {
      if (url.pathname !== endpoint) return;
      const incoming = request.headers.get('x-request-id');
      records.set(request, {
        id: incoming && REQUEST_ID.test(incoming) ? incoming : newRequestId(),
        started: performance.now(),
        executed: false,
        hadData: false,
        errorCodes: [],
        upstream: [],
      });
    },
    onParams({ params, request }) {
      const record = records.get(request);
      if (record && typeof params.operationName === 'string') record.operation = clip(params.operationName);
    },
    onExecute({ args }) {
      const record = records.get((args.contextValue as { request: Request }).request);
      if (!record) return;
      const operation = getOperationAST(args.document, args.operationName);
      record.type = operation?.operation;
      record.executedName = operation?.name?.value;
      record.operation ??= clip(record.executedName);
      record.executed = true;
    },
    // The final result, after every plugin has shaped it (partial-provider errors included).
    onResultProcess({ request, result }) {
      const record = records.get(request);
      if (!record || Array.isArray(result) || Symbol.asyncIterator in result) return;
      record.hadData = result.data != null;
      // A client that left before its request was read whole makes yoga's body read fail, which it
      // masks as an unexpected error: not keygate's, so not logged as one. Once executed, the errors
      // are the operation's, and stay.
      if (request.signal?.aborted && !record.executed) return;
      record.errorCodes = (result.errors ?? []).map((error) => String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
    },
    onResponse({ request, response }) {
      const record = records.get(request);
      if (!record) return;
      response.headers.set('x-request-id', record.id);
      const seconds = (performance.now() - record.started) / 1000;
      const outcome: Outcome = !record.executed
        ? 'rejected'
        : record.errorCodes.length === 0
          ? 'ok'
          : record.hadData
            ? 'partial'
            : 'error';
      // Not the client's operationName: junk names of refused requests would take the label slots.
      metrics.request(record.executedName, record.type, outcome, seconds);
      const level = outcome === 'error' || response.status >= 500 ? 'warn' : 'info';
      if (!lines.isLevelEnabled(level)) return; // don't build a line nobody will read
      const line = {
        reqId: record.id,
        operation: record.operation,
        type: record.type,
        client: clip(record.client),
        status: response.status,
        outcome,
        durationMs: Math.round(seconds * 1000 * 10) / 10,
        errors: record.errorCodes.length > 0 ? record.errorCodes : undefined,
        clientLeft: request.signal?.aborted || undefined, // the client closed the connection first
        upstream: record.upstream.map((c) => ({
          provider: c.provider,
          method: c.method,
          route: c.route,
          status: c.status,
          code: c.code,
          attempt: c.attempt,
          ms: Math.round(c.durationMs * 10) / 10,
        })),
      };
      lines[level](line, level === 'warn' ? 'graphql request failed' : 'graphql request');
    },
  };
}
