// scratch: memory experiments (not committed)
import { GraphqlClient, closedLoop } from './load.js';
import { readFileSync } from 'node:fs';
import { readMemory, startGateway, startSimulators, installCleanup } from './processes.js';
installCleanup();
const [node, dir, seconds, graphiql, ...flags] = process.argv.slice(2);
const sims = await startSimulators(25);
const TOKEN = 'bench-client-token-0123456789abcdef';
const gw = await startGateway({ node: node!, dir: dir!, nodeFlags: ['--expose-gc', '--import', '/tmp/exp/memlog.mjs', '--import', '/tmp/exp/snap.mjs', ...flags], env: { NODE_ENV: 'production', DEMO: '0', LOG_LEVEL: 'info', GATEWAY_TOKENS: `bench:${TOKEN}`, UPSTREAM_DEDUPE: '0', LIST_CACHE_TTL_MS: '0', OCTOPUS_URL: sims.info.octopus.url, OCTOPUS_API_KEY: sims.info.octopus.apiKey, HYPERSTACK_URL: sims.info.hyperstack.url, HYPERSTACK_API_KEY: sims.info.hyperstack.apiKey } });
if (graphiql === '1') await (await fetch(`${gw.url}/graphql`, { headers: { accept: 'text/html' } })).text();
const client = new GraphqlClient(gw.url, { 'content-type': 'application/json', 'x-graphql-yoga-csrf': '1', authorization: `Bearer ${TOKEN}` }, 20);
const body = JSON.stringify({ query: 'query List { apiKeys(first: 50) { totalCount pageInfo { hasNextPage endCursor } nodes { id provider providerKeyId name description createdAt expiresAt keyHint } } }' });
if (seconds === '0') { process.kill(gw.pid, 'SIGWINCH'); await new Promise((res) => setTimeout(res, 8000)); console.log(gw.log().split('\n').filter((l) => l.startsWith('SNAP')).join('')); await gw.stop(); await sims.stop(); process.exit(0); }
const c0 = (await import('./processes.js')).readCpuMs(gw.pid);
const r = await closedLoop({ connections: 20, seconds: Number(seconds), operation: async () => (await client.post(body)).status === 200 });
const cpu = (await import('./processes.js')).readCpuMs(gw.pid) - c0;
process.kill(gw.pid, 'SIGUSR2');
await new Promise((res) => setTimeout(res, 300));
const st = readFileSync(`/proc/${gw.pid}/status`, 'utf8'); const kb = (n: string) => (Number(new RegExp(`${n}:\\s+(\\d+)`).exec(st)?.[1]) / 1000).toFixed(0);
console.log(`anon ${kb('RssAnon')} file ${kb('RssFile')} | ${dir} ${flags.join(' ') || 'default'} graphiql=${graphiql}: ${r.opsPerSec.toFixed(0)} ops/s, ${(cpu / r.ops).toFixed(3)} ms CPU/op, VmHWM ${(readMemory(gw.pid).peak / 1e6).toFixed(0)} MB | ${gw.log().split('\n').filter((l) => l.startsWith('MEMLOG')).join('')}`);
if (process.env.SMAPS) { const sm = readFileSync(`/proc/${gw.pid}/smaps`, 'utf8').split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/); const rows = sm.map((b) => { const head = b.split('\n')[0]!; const rss = Number(/\nRss:\s+(\d+)/.exec(b)?.[1] ?? 0); return [rss, head.split(/\s+/).slice(5).join(' ') || '[anon]', head.split(' ')[0]] as const; }).sort((a, b) => b[0] - a[0]); const agg: Record<string, number> = {}; for (const [r, n] of rows) agg[n] = (agg[n] ?? 0) + r; console.log(Object.entries(agg).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([n, r]) => `${(r / 1000).toFixed(1)}MB ${n}`).join(' | ')); console.log(rows.filter((r) => r[1] === '[anon]').slice(0, 12).map(([r, , a]) => `${(r / 1000).toFixed(1)}@${a}`).join(' ')); }
await client.close(); await gw.stop(); await sims.stop();
