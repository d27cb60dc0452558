// GraphQL Mesh compose: the providers' own OpenAPI documents, whole, into the supergraph Hive Gateway
// serves (`npm run build` writes build/supergraph.graphql). The documents are read from ../shared,
// beside the checkout, as the tests read them: they are not part of keygate. Composed with
// placeholder origins, which gateway.config.js replaces at start; the API keys are Mesh
// interpolations, read from the gateway's environment on every upstream request.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@graphql-mesh/compose-cli';
import { loadOpenAPISubgraph } from '@omnigraph/openapi';
import { GraphQLString } from 'graphql';

const specs = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'specs');
if (!existsSync(specs)) throw new Error(`The providers' OpenAPI documents are not at ${specs} (../shared beside the checkout): nothing to compose.`);

export const composeConfig = defineConfig({
  output: 'build/supergraph.graphql',
  subgraphs: [
    {
      sourceHandler: loadOpenAPISubgraph('Octopus', {
        source: join(specs, 'octopus-swagger.json'),
        endpoint: 'http://octopus.placeholder.invalid/api',
        operationHeaders: { 'X-Octopus-ApiKey': '{env.OCTOPUS_API_KEY}' },
      }),
    },
    {
      sourceHandler: loadOpenAPISubgraph('Hyperstack', {
        source: join(specs, 'hyperstack-openapi.yaml'),
        endpoint: 'http://hyperstack.placeholder.invalid/v1',
        operationHeaders: { api_key: '{env.HYPERSTACK_API_KEY}' },
        // The document says `format: date-time`, but Hyperstack sends created_at without an offset
        // ("2025-12-31T23:53:00"), which the DateTime scalar refuses on output: every key would be
        // an error. Its date-times stay strings.
        getScalarForFormat: (format) => (format === 'date-time' ? GraphQLString : undefined),
      }),
    },
  ],
});
