import { it } from 'vitest';
import { startTestGateway } from './support/gateway.js';
import { hyperstackUsers, octopusUsers } from './support/seeds.js';
it('micro', async () => {
  await using t = await startTestGateway({ octopus: { users: octopusUsers() }, hyperstack: { users: hyperstackUsers() }, env: { UPSTREAM_DEDUPE: '0', LIST_CACHE_TTL_MS: '0', GATEWAY_TOKENS: 'bench:abcdefghijklmnopqrstuvwxyz123456' } });
  const body = JSON.stringify({ query: '{ apiKeys(first: 50) { edges { cursor node { id provider name createdAt expiresAt keyHint } } totalCount } }' });
  const run = async (n: number) => { for (let i = 0; i < n; i++) { const r = await t.gateway.yoga.fetch('http://keygate.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer abcdefghijklmnopqrstuvwxyz123456' }, body }); await r.text(); } };
  await run(4000);
  const results: number[] = [];
  for (let k = 0; k < 6; k++) { const c0 = process.cpuUsage(); await run(800); const c = process.cpuUsage(c0); results.push((c.user + c.system) / 800 / 1000); }
  console.log('MICRO', process.env.VARIANT, results.map((x) => x.toFixed(3)).join(' '), 'min', Math.min(...results).toFixed(3));
}, 600_000);
