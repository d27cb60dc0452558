// Deterministic seed data for gateway tests: fixed dates interleaving both providers.
import type { HyperstackSeedUser, OctopusSeedUser } from '../../src/simulators/index.js';

const day = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 86_400_000);
const farFuture = new Date(Date.UTC(2099, 0, 1));

export const OCTOPUS_ADMIN_SECRET = `API-${'ADMIN'.padEnd(26, '0')}`;
export const OCTOPUS_DEV_SECRET = `API-${'DEV'.padEnd(26, '0')}`;

export function octopusUsers(devKeys = 3): OctopusSeedUser[] {
  return [
    {
      id: 'Users-1',
      username: 'admin',
      displayName: 'Admin',
      isAdmin: true,
      keys: [
        { purpose: 'Admin CLI', created: day(30), expires: farFuture, secret: OCTOPUS_ADMIN_SECRET },
        { purpose: 'Deploy pipeline', created: day(10), expires: farFuture },
        { purpose: 'Tie breaker', created: day(20), expires: farFuture },
      ],
    },
    {
      id: 'Users-2',
      username: 'dev',
      displayName: 'Developer',
      keys: [
        { purpose: 'Dev laptop', created: day(100), expires: farFuture, secret: OCTOPUS_DEV_SECRET },
        ...Array.from({ length: devKeys - 1 }, (_, i) => ({ purpose: `dev key ${i}`, created: day(40 + i), expires: farFuture })),
      ],
    },
    { id: 'Users-3', username: 'empty', displayName: 'Nobody', keys: [] },
  ];
}

export function hyperstackUsers(extraKeys = 0): HyperstackSeedUser[] {
  return [
    {
      name: 'alice',
      keys: [
        { name: 'gateway', description: 'The key keygate uses', createdAt: day(5) },
        { name: 'training', description: 'Fine-tuning VMs', createdAt: day(25) },
        { name: 'tie', description: null, createdAt: day(20) }, // same instant as an Octopus key
        ...Array.from({ length: extraKeys }, (_, i) => ({ name: `bulk-${i}`, description: '', createdAt: day(200 + i) })),
      ],
    },
    { name: 'bob', keys: [{ name: 'bob-only', description: 'Bob\'s key', createdAt: day(50) }] },
  ];
}
