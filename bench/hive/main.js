// What keygate's bench starts (`node bench/hive/main.js`, with PORT, HOST, OCTOPUS_URL without /api,
// OCTOPUS_API_KEY, HYPERSTACK_URL with /v1, HYPERSTACK_API_KEY): exactly
// `hive-gateway supergraph --fork 1 --config-path gateway.config.js`, run in this process so that the bench's
// /proc figures are the gateway's. The CLI reads PORT and HOST itself.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
process.chdir(here);
// One process (--fork 1, its default, pinned): the bench reads the CPU and memory of this pid only.
process.argv = [process.argv[0], 'hive-gateway', 'supergraph', '--fork', '1', '--config-path', join(here, 'gateway.config.js')];

// The package's bin is not among its exports: found through its package.json.
const require = createRequire(import.meta.url);
const pkg = require.resolve('@graphql-hive/gateway/package.json', { paths: [here] });
await import(pathToFileURL(join(dirname(pkg), require(pkg).bin['hive-gateway'])).href);
