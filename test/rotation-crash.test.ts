// Rotations survive keygate being killed between steps (SIGKILL, no shutdown), on SQLite and
// PostgreSQL: a replacement made while keygate died is found and revoked (its secret reached no
// one), and an old key whose overlap ends while keygate is down is revoked after it starts again.
import { describe, expect, it } from 'vitest';
import { startHyperstackSimulator, startOctopusSimulator, type OctopusSimulator } from '../src/simulators/index.js';
import { testClient } from './support/client.js';
import { until } from './support/clock.js';
import { startGatewayProcess, upstreamEnv } from './support/process.js';
import { hyperstackUsers, octopusUsers } from './support/seeds.js';
import { backends } from './support/stores.js';

const CREATE_ROUTE = 'POST /api/users/{userId}/apikeys';
const ROTATE = 'mutation($id: ID!, $after: Int!) { rotateApiKey(input: { id: $id, revokeOldAfter: $after }) { secret rotation { id state } } }';

const keyIds = (octopus: OctopusSimulator) => octopus.keysOf('Users-1').map((k) => k.id);
const globalId = (ref: string) => Buffer.from(`OctopusApiKey:default/Users-1/${ref}`).toString('base64');

describe.each(backends())('rotation across a crash on $name', (backend) => {
  backend.setup();

  async function setup(upstreamTimeoutMs = 10_000) {
    const octopus = await startOctopusSimulator({ users: octopusUsers() });
    const hyperstack = await startHyperstackSimulator({ users: hyperstackUsers() });
    const env = {
      ...upstreamEnv(octopus, hyperstack),
      DATABASE_URL: await backend.freshUrl(),
      // A crashed create is looked for only once a rotation could no longer be running on another
      // instance: here the least that allows, four times the timeout and a second. The scheduler looks often.
      UPSTREAM_TIMEOUT_MS: String(upstreamTimeoutMs),
      ROTATION_RECOVERY_DELAY_MS: String(4 * upstreamTimeoutMs + 1_000),
      ROTATION_SCHEDULER_INTERVAL_MS: '100',
      LOG_LEVEL: 'warn',
    };
    const old = octopus.keysOf('Users-1').find((k) => k.purpose === 'Deploy pipeline')!;
    return { octopus, hyperstack, env, old };
  }

  it.skipIf(backend.missing)('killed while the replacement was being made: after a restart the orphan is revoked and the old key kept', async () => {
    // 2 s: ten times a loaded machine's slowest answer here, and the orphan is looked for after 9 s.
    const { octopus, hyperstack, env, old } = await setup(2_000);
    await using _octopus = octopus;
    await using _hyperstack = hyperstack;
    const before = keyIds(octopus);
    {
      await using gateway = await startGatewayProcess(env);
      await using client = testClient(gateway.url);
      const held = octopus.hold(CREATE_ROUTE);
      const pending = client.graphql({ query: ROTATE, variables: { id: globalId(old.id), after: 3600 } }).catch(() => 'cut');
      await held.arrived;
      gateway.child.kill('SIGKILL'); // after the intent was stored, while the provider has the create
      expect(await gateway.exited).toBe(null);
      await pending;
      // The provider made the key just before keygate died (the held request itself is never let
      // through, so there is exactly one): its secret reaches no one.
      octopus.addKey('Users-1', { purpose: old.purpose, created: new Date(), expires: new Date(Date.now() + 86_400_000) });
    }
    const orphan = keyIds(octopus).find((id) => !before.includes(id))!;
    await using restarted = await startGatewayProcess(env);
    await using client = testClient(restarted.url);
    const rotations = async () =>
      ((await (await client.graphql('{ rotations { nodes { state lastError } } }')).json()) as { data: { rotations: { nodes: { state: string; lastError: string }[] } } })
        .data.rotations.nodes;
    // Recovery revokes the orphan, then records the rotation failed: wait for the second step.
    await until(async () => (await rotations())[0]?.state !== 'PENDING_CREATE', 'the rotation to be settled');
    expect(keyIds(octopus)).not.toContain(orphan);
    expect(keyIds(octopus)).toContain(old.id); // the old key is untouched
    expect(await rotations()).toEqual([{ state: 'FAILED', lastError: 'ORPHAN_REVOKED' }]);
  });

  it.skipIf(backend.missing)('killed during the overlap: after a restart the old key is revoked when due, once', async () => {
    const { octopus, hyperstack, env, old } = await setup();
    await using _octopus = octopus;
    await using _hyperstack = hyperstack;
    {
      await using gateway = await startGatewayProcess(env);
      await using client = testClient(gateway.url);
      // Due in 5 s: long enough that the kill below comes first on a busy machine, so the restarted
      // instance is the one that revokes.
      const rotated = (await (await client.graphql({ query: ROTATE, variables: { id: globalId(old.id), after: 5 } })).json()) as {
        data: { rotateApiKey: { secret: string; rotation: { state: string } } };
        errors?: unknown;
      };
      expect(rotated.errors).toBeUndefined();
      expect(rotated.data.rotateApiKey.rotation.state).toBe('OVERLAP');
      gateway.child.kill('SIGKILL');
      expect(await gateway.exited).toBe(null);
    }
    expect(keyIds(octopus)).toContain(old.id);
    octopus.resetCounts();
    await using _restarted = await startGatewayProcess(env);
    await until(() => !keyIds(octopus).includes(old.id), 'the old key to be revoked');
    expect(octopus.requests('DELETE /api/users/{userId}/apikeys/{id}')).toBe(1);
  });
});
