// The benchmark's upstreams: both provider simulators in one child process of bench/run.ts, with a
// fixed seed (25 Octopus keys of one user, 25 Hyperstack keys of one user), no added latency and a
// Hyperstack key quota the create/delete benchmark never reaches.
//
// It talks to its parent over the IPC channel of child_process.fork():
//   child -> parent  { type: 'ready', octopus: {url, apiKey, userId}, hyperstack: {url, apiKey} }
//   parent -> child  { type: 'counts', id }   child -> parent  { type: 'counts', id, counts }
// `counts` are the simulators' own per-route request counters (every request that arrived, by
// route template), so the parent can tell how many upstream calls an operation cost. The channel
// also ties the child's life to the parent's: when the parent goes away, so does this process.
import { startHyperstackSimulator, startOctopusSimulator } from '../src/simulators/index.js';
import type { HyperstackSeedUser, OctopusSeedUser } from '../src/simulators/index.js';
import {
  OCTOPUS_USER_ID,
  SEED_KEYS_PER_PROVIDER,
  type RouteCounts,
  type SimulatorsReady,
} from './shared.js';

const DAY = 86_400_000;
// Fixed dates (not relative to now), so every run lists the same keys in the same order.
const created = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * DAY + i * 60_000);
const FAR_FUTURE = new Date(Date.UTC(2099, 0, 1));

function octopusSeed(): OctopusSeedUser[] {
  return [
    {
      id: OCTOPUS_USER_ID,
      username: 'bench',
      displayName: 'Benchmark user',
      keys: Array.from({ length: SEED_KEYS_PER_PROVIDER }, (_, i) => ({
        purpose: `Octopus bench key ${String(i).padStart(2, '0')}: deploy pipeline`,
        // Interleaved with the Hyperstack keys, so the merge really merges.
        created: created(2 * i),
        expires: FAR_FUTURE,
      })),
    },
  ];
}

function hyperstackSeed(): HyperstackSeedUser[] {
  return [
    {
      name: 'bench',
      keys: Array.from({ length: SEED_KEYS_PER_PROVIDER }, (_, i) => ({
        name: `hyperstack-bench-${String(i).padStart(2, '0')}`,
        description: i % 3 === 0 ? null : `Benchmark key ${i}: provisions GPU VMs`,
        createdAt: created(2 * i + 1),
      })),
    },
  ];
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('bench/simulators.ts is started by bench/run.ts (it needs an IPC channel)');
  const [octopus, hyperstack] = await Promise.all([
    startOctopusSimulator({ users: octopusSeed(), latencyMs: 0 }),
    startHyperstackSimulator({ users: hyperstackSeed(), latencyMs: 0, keyQuota: 1_000_000_000 }),
  ]);
  const octopusKey = octopus.credentials[OCTOPUS_USER_ID];
  const hyperstackKey = hyperstack.credentials[0];
  if (!octopusKey || !hyperstackKey) throw new Error('the seed produced no working credentials');

  const counts = (): RouteCounts => ({
    ...octopus.counts(),
    ...hyperstack.counts(),
    'octopus (all)': octopus.requests(),
    'hyperstack (all)': hyperstack.requests(),
  });

  const stop = () => {
    void Promise.allSettled([octopus.close(), hyperstack.close()]).then(() => process.exit(0));
  };
  process.on('message', (message: { type?: string; id?: number }) => {
    if (message.type === 'counts') process.send!({ type: 'counts', id: message.id, counts: counts() });
    else if (message.type === 'stop') stop();
  });
  // The parent is gone (or closed the channel): nobody will stop us otherwise.
  process.on('disconnect', stop);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  const ready: SimulatorsReady = {
    type: 'ready',
    octopus: { url: octopus.url, apiKey: octopusKey, userId: OCTOPUS_USER_ID },
    hyperstack: { url: hyperstack.url, apiKey: hyperstackKey },
  };
  process.send(ready);
}

main().catch((error: unknown) => {
  console.error('bench simulators failed:', error);
  process.exit(1);
});
