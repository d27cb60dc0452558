import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from './config.js';
import { createContextFactory, type RequestContext } from './context.js';
import { maskError } from './errors.js';
import { graphiqlOptions, renderGraphiQL } from './graphiql.js';
import { useConsole } from './plugins/console.js';
import { useUpstreamErrors } from './plugins/upstream-errors.js';
import { buildSchema } from './schema/index.js';
import { closeUpstreams, createUpstreams, type Upstreams } from './upstream/upstreams.js';

export type GatewayYoga = YogaServerInstance<Record<string, unknown>, RequestContext>;

export interface Gateway {
  yoga: GatewayYoga;
  upstreams: Upstreams;
  /** Closes the upstream pools (after the HTTP server has stopped taking requests). */
  close(): Promise<void>;
}

/** Builds the gateway: schema, plugins and context factory. It does not listen (see main.ts). */
export function createGateway(config: Config): Gateway {
  const upstreams = createUpstreams(config);
  const yoga = createYoga<Record<string, unknown>, RequestContext>({
    schema: buildSchema(),
    context: createContextFactory(upstreams),
    graphqlEndpoint: '/graphql',
    graphiql: graphiqlOptions,
    renderGraphiQL,
    landingPage: false,
    maskedErrors: { maskError: (error, message) => maskError(error, message) },
    plugins: [useConsole(), useUpstreamErrors()],
  });
  return { yoga, upstreams, close: () => closeUpstreams(upstreams) };
}
