// Seed data, relative to `now` so it always looks current.
// - The demo seed: keys spread over the last months, some Octopus keys about to expire, some Hyperstack
//   keys without a description, and (on users other than Maria, whose keys the demo lists) one Octopus
//   key for every governance risk.
// - The governance seed, for tests: one key per risk, each with that risk alone where possible.
// Secrets are left out, so each start mints fresh ones (the simulators report them as `credentials`),
// but for one demo key whose secret the README "finds" and revokes as leaked.
import type { HyperstackSeedUser } from './hyperstack.js';
import type { OctopusSeedKey, OctopusSeedUser } from './octopus.js';
import { DAY_MS } from './server.js';

/** The secret of the demo key the README revokes with revokeLeakedSecret: demo data, valid nowhere else. */
export const DEMO_LEAKED_SECRET = 'API-DEMOLEAKEDGISTKEY0000000001';

const at = (now: Date, days: number, hour = 0) => new Date(now.getTime() + days * DAY_MS + hour * 3_600_000);

export function demoOctopusUsers(now: Date = new Date()): OctopusSeedUser[] {
  // Fixed ids (26 characters, like real ones) so the README's examples can name a key.
  const key = (purpose: string, createdDaysAgo: number, expiresInDays: number | null, more: Partial<OctopusSeedKey> = {}) => ({
    purpose,
    created: at(now, -createdDaysAgo, -3),
    expires: expiresInDays === null ? null : at(now, expiresInDays, -3),
    ...more,
  });
  const usedDaysAgo = (days: number) => ({ lastUsed: at(now, -days) });
  return [
    {
      id: 'Users-1',
      username: 'maria.okafor',
      displayName: 'Maria Okafor',
      isAdmin: true,
      keys: [
        key('Octopus CLI on laptop', 2, 178, { id: 'apikeys-MariaCliLaptop00000000001' }),
        key('GitHub Actions: deploy web-storefront', 41, 139, { id: 'apikeys-MariaGithubActions00000002', ...usedDaysAgo(0.3) }),
        // expires within days
        key('Terraform provider (platform-infra)', 172, 8, { id: 'apikeys-MariaTerraform00000000003', ...usedDaysAgo(9) }),
      ],
    },
    {
      id: 'Users-2',
      username: 'tomas.lindqvist',
      displayName: 'Tomas Lindqvist',
      keys: [
        key('TeamCity build agent', 19, 161, usedDaysAgo(0.1)),
        key('Release notes generator', 176, 4, usedDaysAgo(3)), // old, and expires within days
        key('Staging smoke tests', 40, 3, usedDaysAgo(1)), // expires in 3 days
        key('Jenkins (decommissioned)', 230, -50, usedDaysAgo(51)), // expired
        key('Grafana dashboards (read-only)', 30, 150, { accessLevel: 'ReadOnly', ...usedDaysAgo(0.2) }),
        key('Spare key for on-call', 45, 135), // never used
        // The README's leaked-secret example: a fixed secret, "found in a public gist".
        key('Shared in a public gist (oops)', 12, 168, { id: 'apikeys-TomasLeakedGist0000000001', secret: DEMO_LEAKED_SECRET }),
      ],
    },
    {
      id: 'Users-3',
      username: 'svc-backup',
      displayName: 'Backup automation',
      isService: true,
      keys: [
        key('Nightly config export', 97, 269, usedDaysAgo(0.5)),
        key('Legacy deploy script', 800, null, usedDaysAgo(120)), // never expires, unused for months
      ],
    },
    {
      id: 'Users-4',
      username: 'svc-release-assistant',
      displayName: 'Release assistant (AI agent)',
      isService: true,
      keys: [key('Release notes drafting agent', 6, 24, { actorType: 'AiAgent', accessLevel: 'Custom', ...usedDaysAgo(0.08) })],
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

/** The ids of the governance seed's keys, by the risk each stands for. */
export const GOVERNANCE_KEY_IDS = {
  /** no risk: recent, used today, expires in months (also the admin's credential) */
  healthy: 'apikeys-GovHealthy0000000000000001',
  expired: 'apikeys-GovExpired0000000000000001',
  expiresIn3Days: 'apikeys-GovExpiresSoon000000000001',
  /** Expires: null, a legacy key from before 2025.4 */
  neverExpires: 'apikeys-GovNeverExpires00000000001',
  /** created 120 days ago */
  old: 'apikeys-GovOld000000000000000000001',
  /** IsLastUsedTimestampKnown: true, LastUsedTimeStamp: null */
  neverUsed: 'apikeys-GovNeverUsed0000000000001',
  /** last used 120 days ago (so also created over 90 days ago) */
  unusedFor120Days: 'apikeys-GovUnused120Days00000000001',
  /** IsLastUsedTimestampKnown: false: not a risk, nobody knows */
  lastUseUnknown: 'apikeys-GovLastUseUnknown000000001',
  readOnly: 'apikeys-GovReadOnly00000000000000001',
  /** ActorType AiAgent, AccessLevel Custom, on a service account */
  aiAgent: 'apikeys-GovAiAgent0000000000000001',
} as const;

/**
 * A test seed with one Octopus key per governance risk (ids in GOVERNANCE_KEY_IDS), dates relative to
 * `now`: Users-1 admin (the healthy key, the credential), Users-2 dev (a healthy credential, then one
 * key per risk), Users-3 svc-ci, a service account with the AI-agent key.
 */
export function governanceOctopusUsers(now: Date): OctopusSeedUser[] {
  const ids = GOVERNANCE_KEY_IDS;
  const key = (id: string, purpose: string, createdDaysAgo: number, expiresInDays: number | null, lastUsedDaysAgo: number | null, more: Partial<OctopusSeedKey> = {}) => ({
    id,
    purpose,
    created: at(now, -createdDaysAgo),
    expires: expiresInDays === null ? null : at(now, expiresInDays),
    lastUsed: lastUsedDaysAgo === null ? null : at(now, -lastUsedDaysAgo),
    ...more,
  });
  return [
    {
      id: 'Users-1',
      username: 'admin',
      displayName: 'Admin',
      isAdmin: true,
      keys: [key(ids.healthy, 'Admin CLI', 10, 170, 0.05)],
    },
    {
      id: 'Users-2',
      username: 'dev',
      displayName: 'Developer',
      keys: [
        key('apikeys-GovDevLaptop00000000000001', 'Dev laptop', 5, 175, 0.1),
        key(ids.expired, 'Old CI server', 60, -5, 6),
        key(ids.expiresIn3Days, 'Staging deploys', 30, 3, 1),
        key(ids.neverExpires, 'Legacy script', 40, null, 1),
        key(ids.old, 'Release pipeline', 120, 246, 1),
        key(ids.neverUsed, 'Forgotten key', 30, 150, null),
        key(ids.unusedFor120Days, 'Abandoned integration', 200, 166, 120),
        key(ids.lastUseUnknown, 'Predates usage tracking', 60, 120, null, { lastUsedKnown: false }),
        key(ids.readOnly, 'Grafana (read-only)', 20, 160, 1, { accessLevel: 'ReadOnly' }),
      ],
    },
    {
      id: 'Users-3',
      username: 'svc-ci',
      displayName: 'CI assistant',
      isService: true,
      keys: [key(ids.aiAgent, 'Deploy assistant (AI agent)', 7, 23, 0.05, { actorType: 'AiAgent', accessLevel: 'Custom' })],
    },
  ];
}
