// The benchmark's upstreams: both provider simulators in a child of bench/run.ts, seeded with
// `argv[2]` keys per account (one Octopus user, one Hyperstack user), newest first and interleaved,
// at fixed dates so every run lists the same keys. No added latency.
//
// Over the IPC channel of fork(): first { ready } with the URLs and credentials; then each { id }
// is answered with { id, counts }, the simulators' own per-route request counters. When the parent
// goes away, so does this process.
import { startHyperstackSimulator, startOctopusSimulator } from '../src/simulators/index.js';

export type RouteCounts = Record<string, number>;

export interface SimulatorsReady {
  /** origin, without /api (the gateway adds it) */
  octopus: { url: string; apiKey: string; userId: string; keys: number };
  /** with /v1 */
  hyperstack: { url: string; apiKey: string; keys: number };
}

/**
 * Hyperstack has no paging: its list is one response, which keygate refuses above
 * UPSTREAM_MAX_RESPONSE_BYTES (8 MiB, about 55,000 keys). The largest Hyperstack account here stays
 * under it, so the biggest row measures the largest list keygate accepts by default.
 */
export const HYPERSTACK_MAX_KEYS = 50_000;

const USER_ID = 'Users-1';
const NEWEST = Date.UTC(2026, 0, 1);
const STEP = 120_000; // two minutes between an account's keys; the other provider's sit in between

async function main(): Promise<void> {
  const keys = Number(process.argv[2]);
  if (!process.send || !Number.isInteger(keys) || keys < 1) throw new Error('usage: forked by bench/run.ts with a key count');
  const hyperstackKeys = Math.min(keys, HYPERSTACK_MAX_KEYS);
  const [octopus, hyperstack] = await Promise.all([
    startOctopusSimulator({
      latencyMs: 0,
      users: [
        {
          id: USER_ID,
          username: 'bench',
          displayName: 'Benchmark user',
          // One key with a known secret to sign in with (the oldest), then generated ones.
          keys: [{ purpose: 'bench credential', created: new Date(NEWEST - keys * STEP) }],
          bulkKeys: { count: keys - 1, newest: new Date(NEWEST), intervalMs: STEP },
        },
      ],
    }),
    startHyperstackSimulator({
      latencyMs: 0,
      keyQuota: 1_000_000,
      users: [
        {
          name: 'bench',
          keys: Array.from({ length: hyperstackKeys }, (_, i) => ({
            name: `hyperstack-bench-${i}`,
            description: i % 3 === 0 ? null : `Benchmark key ${i}`,
            createdAt: new Date(NEWEST - i * STEP - STEP / 2),
          })),
        },
      ],
    }),
  ]);
  process.on('message', (message: { id: number }) => {
    process.send!({ id: message.id, counts: { ...octopus.counts(), ...hyperstack.counts() } });
  });
  const stop = () => void Promise.allSettled([octopus.close(), hyperstack.close()]).then(() => process.exit(0));
  process.on('disconnect', stop);
  process.on('SIGTERM', stop);
  const ready: SimulatorsReady = {
    octopus: { url: octopus.url, apiKey: octopus.credentials[USER_ID]!, userId: USER_ID, keys },
    hyperstack: { url: hyperstack.url, apiKey: hyperstack.credentials[0]!, keys: hyperstackKeys },
  };
  process.send(ready);
}

main().catch((error: unknown) => {
  console.error('bench simulators failed:', error);
  process.exit(1);
});
