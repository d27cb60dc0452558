import { pino } from 'pino';
import { createLogger } from '../src/logger.js';
const dest = pino.destination({ dest: '/dev/null', sync: true });
const logger = createLogger({ logLevel: 'info' }, dest);
const child = logger.child({}, { redact: { paths: [] } });
const line = () => ({ reqId: '4f6c3f9e-8d2b-4c1a-9f0e-2b7d5e1a3c4d', operation: 'List', type: 'query', client: 'bench', status: 200, outcome: 'ok', durationMs: 3.2, errors: undefined,
  upstream: [{ provider: 'OCTOPUS', method: 'GET', route: '/users/{userId}/apikeys', status: 200, code: undefined, attempt: 1, ms: 1.2 }, { provider: 'HYPERSTACK', method: 'GET', route: '/api-key', status: 200, code: undefined, attempt: 1, ms: 1.1 }] });
for (const [name, l] of [['redacting', logger], ['child no redact', child], ['redacting', logger], ['child no redact', child]] as const) {
  for (let i = 0; i < 20000; i++) l.info(line(), 'graphql request');
  const t0 = performance.now(); const N = 100000;
  for (let i = 0; i < N; i++) l.info(line(), 'graphql request');
  console.log(name, ((performance.now() - t0) * 1000 / N).toFixed(2), 'µs/line');
}
const out: string[] = []; const cap = createLogger({ logLevel: 'info' }, { write: (s: string) => out.push(s) } as never);
cap.child({}, { redact: { paths: [] } }).info({ secret: 'x', a: 1 }, 'm'); cap.info({ secret: 'x' }, 'm'); console.log(out.join(''));
