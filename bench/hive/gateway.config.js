// Hive Gateway's configuration file, read by its CLI (main.js). Everything not set here is Hive
// Gateway's default: no plugins, no caching, no deduplication, its own default protections.
import { defineConfig } from '@graphql-hive/gateway';

const required = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

export const gatewayConfig = defineConfig({
  supergraph: './build/supergraph.graphql',
  // The bench probes /healthz, as keygate answers it; Hive's default is /healthcheck.
  healthCheckEndpoint: '/healthz',
  // Hive's per-subgraph override of the composed locations: the bench's simulators.
  transportEntries: {
    Octopus: { location: `${required('OCTOPUS_URL').replace(/\/+$/, '')}/api` },
    Hyperstack: { location: required('HYPERSTACK_URL').replace(/\/+$/, '') },
  },
});
