import { useGraphQlJit } from '@envelop/graphql-jit';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { hasClientAuth, type Config } from './config.js';
import { CREDENTIAL_HEADERS, createContextFactory, type RequestContext } from './context.js';
import { maskError } from './errors.js';
import { graphiqlOptions, renderGraphiQL } from './graphiql.js';
import { Inventory, type InventoryOptions } from './inventory/inventory.js';
import { createLogger, type Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { useBodyLimit } from './plugins/body-limit.js';
import { useClientAuth } from './plugins/client-auth.js';
import { CONSOLE_PREFIX, useConsole } from './plugins/console.js';
import { createRateLimiter, useCreateRateLimit } from './plugins/create-rate-limit.js';
import { useMetricsEndpoint, useReadiness } from './plugins/health.js';
import { useKnownRoutes } from './plugins/known-routes.js';
import { useLookupLimit } from './plugins/lookup-limit.js';
import { useOperationLimits } from './plugins/operation-limits.js';
import { requestRecord, useRequestLog } from './plugins/request-log.js';
import { useTrustedDocuments } from './plugins/trusted-documents.js';
import { useResultErrors } from './plugins/result-errors.js';
import { ReadinessProbe } from './readiness.js';
import { buildSchema } from './schema/index.js';
import { Upstreams } from './upstream/upstreams.js';

export type GatewayYoga = YogaServerInstance<Record<string, unknown>, RequestContext>;

export interface Gateway {
  yoga: GatewayYoga;
  upstreams: Upstreams;
  metrics: Metrics;
  logger: Logger;
  /** The background key inventory behind the gauges; absent when INVENTORY_REFRESH_S is 0. */
  inventory?: Inventory;
  /** Stops the inventory, closes the upstream pools and the rate limiter's store (after the HTTP server has stopped). */
  close(): Promise<void>;
  /** Cuts upstream requests still in flight, so a pending close() completes: the end of the grace period. */
  destroy(): Promise<void>;
}

const ENDPOINT = '/graphql';

/** Builds the gateway: schema, plugins and context factory. It does not listen (see main.ts). */
export function createGateway(
  config: Config,
  options: { logger?: Logger; inventory?: Pick<InventoryOptions, 'scheduler' | 'clock'> } = {},
): Gateway {
  const logger = options.logger ?? createLogger(config);
  const metrics = new Metrics();
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
  const rateLimiter = config.createRateLimit.points > 0 ? createRateLimiter(config.createRateLimit, logger) : undefined;
  const trusted = config.persistedOperations;

  // Order matters: endpoints that answer on their own first, then the request log (so refusals
  // are logged too), then who may call, then what a call may be, and only then execution.
  const plugins: Plugin[] = [
    // /healthz, CORS preflights and the GraphiQL page are answered by yoga before these.
    useKnownRoutes({ paths: [ENDPOINT, '/readyz', '/metrics', ...(trusted ? [] : ['/'])], prefixes: trusted ? [] : [CONSOLE_PREFIX] }),
    useMetricsEndpoint(metrics),
    useReadiness(new ReadinessProbe(upstreams, { httpEveryMs: 5_000, credentialsEveryMs: config.readinessCredentialCheckMs })),
    // The console sends its own documents, which trusted-documents mode refuses: off there, like GraphiQL.
    ...(trusted ? [] : [useConsole()]),
    useRequestLog({ logger, metrics, endpoint: ENDPOINT }),
    ...(hasClientAuth(config) ? [useClientAuth(config.auth)] : []),
    useBodyLimit(config.limits.maxBodyBytes),
    useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf'] }),
    ...(trusted ? [useTrustedDocuments(trusted)] : []),
    ...useOperationLimits(config.limits),
    useLookupLimit(),
    ...(config.introspection ? [] : [useDisableIntrospection() as Plugin]),
    ...(rateLimiter
      ? [useCreateRateLimit({ limiter: rateLimiter.limiter, settings: config.createRateLimit, trustProxy: config.trustProxy, metrics })]
      : []),
    useResultErrors(),
    // Executes each operation through code compiled once per document (graphql-jit).
    useGraphQlJit() as Plugin,
  ];

  const yoga = createYoga<Record<string, unknown>, RequestContext>({
    schema: buildSchema(),
    context: createContextFactory(upstreams, config, (initial) => {
      const record = requestRecord(initial.request);
      return record ? (call) => record.upstream.push(call) : undefined;
    }),
    graphqlEndpoint: ENDPOINT,
    healthCheckEndpoint: '/healthz',
    // GraphiQL needs arbitrary documents and introspection; in trusted-documents mode it has neither.
    graphiql: config.graphiql && !trusted ? graphiqlOptions : false,
    renderGraphiQL,
    landingPage: false,
    logging: yogaLogger(logger),
    // Unexpected errors are masked in every mode: no stack or internal message reaches a client.
    maskedErrors: { maskError: (error, message) => maskError(error, message) },
    // One operation per request: a batch would multiply the work behind one request's limits.
    batching: false,
    multipart: false,
    // useBodyLimit enforces MAX_BODY_BYTES; yoga's own limit would wrap every body in a counting stream.
    maxRequestBodySize: false,
    cors: config.corsOrigins.length > 0 ? corsFor(config.corsOrigins) : false,
    plugins,
  });

  return {
    yoga,
    upstreams,
    metrics,
    logger,
    inventory,
    close: async () => {
      await Promise.all([inventory?.close(), upstreams.close(), rateLimiter?.close()]);
    },
    destroy: () => upstreams.destroy(),
  };
}

/** CORS headers for the configured origins only; any other origin gets none, so browsers refuse it. */
function corsFor(origins: string[]) {
  const allowed = new Set(origins);
  const options = {
    credentials: false,
    methods: ['GET', 'POST'],
    allowedHeaders: ['content-type', 'authorization', 'x-graphql-yoga-csrf', 'x-request-id', ...Object.values(CREDENTIAL_HEADERS)],
    exposedHeaders: ['x-request-id'],
    maxAge: 600,
  };
  return (request: Request) => {
    const origin = request.headers.get('origin');
    return origin !== null && (allowed.has(origin) || allowed.has('*')) ? { ...options, origin } : false;
  };
}

/** Yoga's own log calls go to the same structured logger. */
function yogaLogger(logger: Logger) {
  const forward = (level: 'debug' | 'info' | 'warn' | 'error') => (...args: unknown[]) => {
    const [first, ...rest] = args;
    if (first instanceof Error) logger[level]({ err: { name: first.name, message: first.message, stack: first.stack } }, 'yoga');
    else logger[level]({ detail: rest.length > 0 ? rest : undefined }, String(first));
  };
  return { debug: forward('debug'), info: forward('info'), warn: forward('warn'), error: forward('error') };
}
