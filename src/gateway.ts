import { useGraphQlJit } from '@envelop/graphql-jit';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import { Kind, type DocumentNode } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { hasClientAuth, type Config } from './config.js';
import { CREDENTIAL_HEADERS, createContextFactory, type RequestContext } from './context.js';
import { maskError } from './errors.js';
import { graphiqlOptions } from './graphiql.js';
import { GRAPHIQL_PREFIX, GraphiQLAssets } from './graphiql-assets.js';
import { Inventory, type InventoryOptions } from './inventory/inventory.js';
import { createLogger, type Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { AllowedHosts, useAllowedHosts } from './plugins/allowed-hosts.js';
import { useAnswerAlways } from './plugins/answer-always.js';
import { useAudit } from './plugins/audit.js';
import { useBodyLimit } from './plugins/body-limit.js';
import { useRequestBody } from './plugins/request-body.js';
import { useUrlParams } from './plugins/url-params.js';
import { useClientAuth } from './plugins/client-auth.js';
import { loadConsoleAssets, useConsole } from './plugins/console.js';
import { useCors } from './plugins/cors.js';
import { useCsrf } from './plugins/csrf.js';
import { createRateLimiter, useCreateRateLimit } from './plugins/create-rate-limit.js';
import { Drain, useDrain } from './plugins/drain.js';
import { useGraphiQL } from './plugins/graphiql.js';
import { useHealth, useMetricsEndpoint, useReadiness } from './plugins/health.js';
import { useKnownRoutes } from './plugins/known-routes.js';
import { useLookupLimit } from './plugins/lookup-limit.js';
import { useOperationLimits } from './plugins/operation-limits.js';
import { useSafeNames } from './plugins/safe-names.js';
import { useSecretSelected } from './plugins/secret-selected.js';
import { requestRecord, useRequestLog } from './plugins/request-log.js';
import { useResponseHeaders } from './plugins/response-headers.js';
import { useTrustedDocuments } from './plugins/trusted-documents.js';
import { useResultErrors } from './plugins/result-errors.js';
import { ReadinessProbe } from './readiness.js';
import { buildSchema } from './schema/index.js';
import { startStoreRuntime, type StoreRuntime } from './services/store-runtime.js';
import type { Store, StoreErrorKind } from './store/index.js';
import { Upstreams } from './upstream/upstreams.js';

export type GatewayYoga = YogaServerInstance<Record<string, unknown>, RequestContext>;

export interface Gateway {
  yoga: GatewayYoga;
  upstreams: Upstreams;
  metrics: Metrics;
  logger: Logger;
  /** The background key inventory behind the gauges; absent when INVENTORY_REFRESH_S is 0. */
  inventory?: Inventory;
  /** The audit trail and rotations on the store; absent without one. */
  store?: StoreRuntime;
  /** The hosts it answers to; the HTTP server tells it the port it listens on. */
  hosts: AllowedHosts;
  /** Shutdown has begun: refuse new key creations from now on, let those running finish. */
  drain(): void;
  /** Stops the inventory, closes the upstream pools and the rate limiter's store (after the HTTP server has stopped). */
  close(): Promise<void>;
  /** Cuts upstream requests still in flight, so a pending close() completes: the end of the grace period. */
  destroy(): Promise<void>;
}

const ENDPOINT = '/graphql';

/** Builds the gateway: schema, plugins and context factory. It does not listen (see main.ts). */
export function createGateway(
  config: Config,
  options: {
    logger?: Logger;
    inventory?: Pick<InventoryOptions, 'scheduler' | 'clock'>;
    /** The store (opened, migrated) for the audit trail and rotations; without one, those are unavailable. */
    store?: Store;
    /** Run the store's loops (audit retries and retention, the revocation scheduler); tests that drive them by hand say false. */
    storeLoops?: boolean;
    /** The store's time: when events happen and rotations fall due (tests move it by hand). */
    storeClock?: () => Date;
  } = {},
): Gateway {
  const logger = options.logger ?? createLogger(config);
  const metrics = new Metrics();
  if (options.store) {
    // The store is opened (and its hooks given) before the gateway exists: its errors reach this
    // gateway's metrics and log from now on.
    Object.assign(options.store.hooks, {
      onError: (kind: StoreErrorKind, error: unknown) => {
        metrics.storeError(kind);
        logger.warn({ kind, err: { name: (error as Error).name, message: (error as Error).message } }, 'store error');
      },
    });
  }
  const upstreams = new Upstreams(config, (provider) => ({
    observer: (call) => metrics.upstream(call),
    onCircuitStateChange: (state) => {
      metrics.circuitState(provider, state);
      logger.warn({ provider, state: ['closed', 'open', 'half-open', 'isolated'][state] }, 'circuit breaker changed state');
    },
  }));
  const inventory =
    config.inventory.refreshMs > 0
      ? new Inventory({ upstreams, metrics, logger, policy: config.policy, lists: config.lists, ...config.inventory, ...options.inventory })
      : undefined;
  inventory?.start();
  const storeRuntime = options.store
    ? startStoreRuntime(options.store, { upstreams, config, logger, background: options.storeLoops ?? true, clock: options.storeClock })
    : undefined;
  const rateLimiter = config.createRateLimit.points > 0 ? createRateLimiter(config.createRateLimit, logger) : undefined;
  const trusted = config.persistedOperations;
  const hosts = new AllowedHosts(config);
  const drain = new Drain();
  // The console sends its own documents, which trusted-documents mode refuses: off there, like GraphiQL.
  const consoleAssets = trusted ? undefined : loadConsoleAssets();
  // GraphiQL needs arbitrary documents and introspection; in trusted-documents mode it has neither.
  const graphiql = config.graphiql && !trusted;

  // Order matters: the host check before anything, then the paths that exist, then endpoints that
  // answer on their own, then the request log (so refusals are logged too), then who may call,
  // then what a call may be, and only then execution. Yoga's own health check, CORS and GraphiQL
  // would answer before any plugin of ours, so they are off and ours stand in for them.
  const plugins: Plugin[] = [
    useAllowedHosts(hosts),
    useKnownRoutes({
      endpoint: ENDPOINT,
      paths: ['/healthz', '/readyz', '/metrics', ...(consoleAssets?.keys() ?? [])],
      prefixes: graphiql ? [GRAPHIQL_PREFIX] : [],
    }),
    useResponseHeaders(ENDPOINT),
    ...(config.corsOrigins.length > 0
      ? [
          useCors({
            endpoint: ENDPOINT,
            origins: config.corsOrigins,
            allowedHeaders: ['content-type', 'authorization', 'x-graphql-yoga-csrf', 'x-request-id', ...Object.values(CREDENTIAL_HEADERS)],
            exposedHeaders: ['x-request-id'],
          }),
        ]
      : []),
    useHealth(),
    useMetricsEndpoint(metrics),
    useReadiness(new ReadinessProbe(upstreams, { httpEveryMs: 5_000, credentialsEveryMs: config.readinessCredentialCheckMs }, options.store)),
    ...(consoleAssets ? [useConsole(consoleAssets)] : []),
    ...(graphiql
      ? [useGraphiQL({ endpoint: ENDPOINT, options: graphiqlOptions({ clientAuth: hasClientAuth(config) }), assets: new GraphiQLAssets(), logger })]
      : []),
    useRequestLog({ logger, metrics, endpoint: ENDPOINT }),
    ...(hasClientAuth(config) ? [useClientAuth(config.auth)] : []),
    // Both set parsers: before useBodyLimit, which wraps whichever parser they set.
    useRequestBody(),
    useUrlParams(),
    useBodyLimit(config.limits.maxBodyBytes),
    ...useCsrf(),
    ...(trusted ? [useTrustedDocuments(trusted)] : []),
    ...useOperationLimits(config.limits),
    useSafeNames(),
    useSecretSelected(),
    useLookupLimit(),
    ...(config.introspection ? [] : [useDisableIntrospection() as Plugin]),
    // Before anything that can stop an execution, so it audits what they refuse.
    useAudit(),
    // Before the rate limit: a create refused at shutdown costs no budget.
    useDrain(drain),
    ...(rateLimiter
      ? [useCreateRateLimit({ limiter: rateLimiter.limiter, settings: config.createRateLimit, trustProxy: config.trustProxy, metrics })]
      : []),
    useResultErrors(),
    // Executes each operation through code compiled once per document (graphql-jit). Its cache
    // is keyed by the document alone, not the operation name: only a document of one operation,
    // named as asked, runs compiled; any other runs on graphql-js, which honours operationName.
    useGraphQlJit(
      {},
      {
        enableIf: (args) => oneOperationAsAsked(args.document, args.operationName),
        // Its default writes the whole result, stacks included, to stderr past the logger.
        onError: (result) => logger.warn({ errors: result.errors?.length ?? 0 }, 'graphql-jit could not compile an operation; its errors are the answer'),
      },
    ) as Plugin,
    // What ran is answered, whatever Accept says: a created key's secret is never a bodiless 406.
    useAnswerAlways(),
  ];

  const yoga = createYoga<Record<string, unknown>, RequestContext>({
    schema: buildSchema(),
    context: createContextFactory(upstreams, config, {
      observer: (initial) => {
        const record = requestRecord(initial.request);
        return record ? (call) => record.upstream.push(call) : undefined;
      },
      store: storeRuntime,
      drain,
    }),
    graphqlEndpoint: ENDPOINT,
    // Yoga's built-in check answers any URL that ends in this, before every plugin: given a string
    // no URL can end in (URLs percent-encode NUL), it never answers. useHealth serves /healthz.
    healthCheckEndpoint: '\u0000',
    graphiql: false, // useGraphiQL
    landingPage: false,
    logging: yogaLogger(logger),
    // Unexpected errors are masked in every mode: no stack or internal message reaches a client.
    maskedErrors: { maskError: (error, message) => maskError(error, message) },
    // One operation per request: a batch would multiply the work behind one request's limits.
    batching: false,
    multipart: false,
    // useBodyLimit enforces MAX_BODY_BYTES; yoga's own limit would wrap every body in a counting stream.
    maxRequestBodySize: false,
    cors: false, // useCors
    plugins,
  });

  return {
    yoga,
    upstreams,
    metrics,
    logger,
    inventory,
    store: storeRuntime,
    hosts,
    drain: () => {
      drain.draining = true;
    },
    close: async () => {
      // The store's loops first: a revocation in progress still needs the pools.
      await storeRuntime?.close();
      await Promise.all([inventory?.close(), upstreams.close(), rateLimiter?.close()]);
    },
    destroy: () => upstreams.destroy(),
  };
}

/**
 * Yoga's own log calls go to the same structured logger. An error goes as its name and message:
 * no stack, which would put install paths and code locations in the log. A client that left before
 * its request arrived whole (Node's "aborted") is its own doing: debug, not error, or anyone could
 * fill the error log by dropping connections.
 */
function yogaLogger(logger: Logger) {
  const forward = (level: 'debug' | 'info' | 'warn' | 'error') => (...args: unknown[]) => {
    const [first, ...rest] = args;
    if (first instanceof Error) {
      const clientLeft = (first as NodeJS.ErrnoException).code === 'ECONNRESET';
      logger[clientLeft ? 'debug' : level]({ err: { name: first.name, message: first.message } }, clientLeft ? 'the client left during its request' : 'yoga');
    } else logger[level]({ detail: rest.length > 0 ? rest : undefined }, String(first));
  };
  return { debug: forward('debug'), info: forward('info'), warn: forward('warn'), error: forward('error') };
}

/**
 * A document graphql-jit may run: one operation, and no operation name asked for other than its
 * own. Compiled for `query C {…} mutation D {…}` with `operationName: D`, the cached code ran D
 * for every later request of that text, a GET asking for C included; and a name the document
 * does not hold would cache the compile error for everyone sending that text.
 */
function oneOperationAsAsked(document: DocumentNode, operationName: string | null | undefined): boolean {
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  if (operations.length !== 1) return false;
  return operationName == null || operations[0]!.name?.value === operationName;
}
