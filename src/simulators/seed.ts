// Demo seed data, relative to `now` so the demo always looks current: keys spread over the last
// months, some Octopus keys about to expire, some Hyperstack keys without a description.
// Secrets are left out, so each start mints fresh ones (the simulators report them as `credentials`).
import type { HyperstackSeedUser } from './hyperstack.js';
import type { OctopusSeedUser } from './octopus.js';
import { DAY_MS } from './server.js';

const at = (now: Date, days: number, hour = 0) => new Date(now.getTime() + days * DAY_MS + hour * 3_600_000);

export function demoOctopusUsers(now: Date = new Date()): OctopusSeedUser[] {
  // Fixed ids (26 characters, like real ones) so the README's examples can name a key.
  const key = (purpose: string, createdDaysAgo: number, expiresInDays: number, id?: string) => ({
    purpose,
    created: at(now, -createdDaysAgo, -3),
    expires: at(now, expiresInDays, -3),
    id,
  });
  return [
    {
      id: 'Users-1',
      username: 'maria.okafor',
      displayName: 'Maria Okafor',
      isAdmin: true,
      keys: [
        key('Octopus CLI on laptop', 2, 178, 'apikeys-MariaCliLaptop00000000001'),
        key('GitHub Actions: deploy web-storefront', 41, 139, 'apikeys-MariaGithubActions00000002'),
        key('Terraform provider (platform-infra)', 172, 8, 'apikeys-MariaTerraform00000000003'), // expires within days
      ],
    },
    {
      id: 'Users-2',
      username: 'tomas.lindqvist',
      displayName: 'Tomas Lindqvist',
      keys: [
        key('TeamCity build agent', 19, 161),
        key('Release notes generator', 176, 4), // expires within days
      ],
    },
    {
      id: 'Users-3',
      username: 'svc-backup',
      displayName: 'Backup automation',
      keys: [key('Nightly config export', 97, 269)],
    },
  ];
}

export function demoHyperstackUsers(now: Date = new Date()): HyperstackSeedUser[] {
  const key = (name: string, description: string | null, createdDaysAgo: number) => ({
    name,
    description,
    createdAt: at(now, -createdDaysAgo, -5),
  });
  return [
    {
      name: 'maria.okafor',
      keys: [
        key('training-cluster', 'Provisions the A100 fine-tuning VMs', 133),
        key('terraform', '', 64),
        key('ci-gpu-smoke-tests', 'GitHub Actions: GPU smoke tests on every release', 12),
      ],
    },
    {
      name: 'tomas.lindqvist',
      keys: [key('jupyter-workstation', null, 88), key('inference-autoscaler', 'Scales L40 inference nodes', 6)],
    },
  ];
}
