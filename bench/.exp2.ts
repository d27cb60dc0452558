// scratch: which provider's whole lists exhaust a 128 MB old space
import { GraphqlClient, closedLoop } from './load.js';
import { installCleanup, readMemory, startGateway, startSimulators } from './processes.js';
installCleanup();
const [provider, conc] = process.argv.slice(2);
const sims = await startSimulators(100_000);
const TOKEN = 'bench-client-token-0123456789abcdef';
const gw = await startGateway({ node: 'node', dir: '/work/wt/perf', nodeFlags: ['--max-old-space-size=128'], env: { NODE_ENV: 'production', DEMO: '0', LOG_LEVEL: 'warn', GATEWAY_TOKENS: `bench:${TOKEN}`, UPSTREAM_DEDUPE: '0', LIST_CACHE_TTL_MS: '0', HEAVY_LIST_CONCURRENCY: process.env.HLC ?? '4', INVENTORY_REFRESH_S: process.env.INV ?? '300', OCTOPUS_URL: sims.info.octopus.url, OCTOPUS_API_KEY: sims.info.octopus.apiKey, HYPERSTACK_URL: sims.info.hyperstack.url, HYPERSTACK_API_KEY: sims.info.hyperstack.apiKey } });
const client = new GraphqlClient(gw.url, { 'content-type': 'application/json', 'x-graphql-yoga-csrf': '1', authorization: `Bearer ${TOKEN}` }, 20);
const body = JSON.stringify({ query: `{ apiKeys(first: 20, orderBy: { field: NAME, direction: ASC }, filter: { providers: [${provider}] }) { totalCount } }` });
const out: Record<string, number> = {};
await closedLoop({ connections: Number(conc), count: Number(process.env.COUNT ?? 40), operation: async () => { const a = await client.post(body).catch((e: Error) => ({ status: 0, text: e.message })); const k = a.status === 200 ? (a.text.includes('errors') ? a.text.slice(0, 120) : 'ok') : `HTTP ${a.status} ${a.text.slice(0, 80)}`; out[k] = (out[k] ?? 0) + 1; return true; } });
console.log(provider, conc, JSON.stringify(out), 'alive', gw.alive(), 'peak', (readMemory(gw.pid).peak / 1e6).toFixed(0));
await new Promise((r) => setTimeout(r, 500)); console.log('alive after', gw.alive()); console.log(gw.log().split('\n').filter((l) => /heap out|FATAL/.test(l)).join(' ').slice(0, 200));
await client.close(); await gw.stop(); await sims.stop();
