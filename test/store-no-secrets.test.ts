// The store never holds a secret or a credential. This drives it the way the gateway will (keys
// minted and revoked for real at the simulators over HTTP, audit events, rotations, a scheduled
// revocation, and callers that wrongly pass a secret along), then reads back every row of every
// table and every byte of the database's files, looking for any secret or credential involved.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHyperstackSimulator, startOctopusSimulator, type HyperstackSimulator, type OctopusSimulator } from '../src/simulators/index.js';
import { AuditEvents, type AuditEventInput } from '../src/store/audit-events.js';
import { AuditTrail } from '../src/store/audit-trail.js';
import type { Store } from '../src/store/db.js';
import { Rotations, type Rotation } from '../src/store/rotations.js';
import { RevocationScheduler } from '../src/store/scheduler.js';
import { secretShape } from '../src/secret-shapes.js';
import { HyperstackClient } from '../src/upstream/hyperstack.js';
import { OctopusClient } from '../src/upstream/octopus.js';
import { TestClock, backends, dumpAllTables, openTestStore, type Backend } from './support/stores.js';
import { testUpstreams, type TestUpstreams } from './support/upstreams.js';

let octopusSim: OctopusSimulator;
let hyperstackSim: HyperstackSimulator;
let upstreams: TestUpstreams;

beforeAll(async () => {
  [octopusSim, hyperstackSim] = await Promise.all([startOctopusSimulator(), startHyperstackSimulator()]);
  upstreams = testUpstreams({ octopus: octopusSim, hyperstack: hyperstackSim });
});
afterAll(async () => {
  await upstreams.close();
  await Promise.all([octopusSim.close(), hyperstackSim.close()]);
});

/** Does what the gateway will do with a store, and returns every secret and credential that passed through. */
async function driveLikeTheGateway(store: Store, tag: string): Promise<string[]> {
  const clock = new TestClock();
  const octopusUser = Object.keys(octopusSim.credentials)[0]!;
  const octopusCredential = octopusSim.credentials[octopusUser]!;
  const hyperstackCredential = hyperstackSim.credentials[0]!;
  const octopus = new OctopusClient(upstreams.octopus!, 'default', octopusCredential);
  const hyperstack = new HyperstackClient(upstreams.hyperstack, 'default', { apiKey: hyperstackCredential });
  const secrets = [octopusCredential, hyperstackCredential, ...Object.values(octopusSim.credentials), ...hyperstackSim.credentials];

  const events = new AuditEvents(store, { clock: clock.now });
  const trail = new AuditTrail(events);
  const rotations = new Rotations(store, { clock: clock.now });
  const audit = (e: Omit<AuditEventInput, 'client' | 'requestId'>) => trail.record({ client: 'ci', requestId: `req-${clock.now().getTime()}`, ...e });

  // Create one key at each provider.
  const octo = await octopus.createKey({ userId: octopusUser, purpose: 'deploy bot', expires: undefined });
  const hyper = await hyperstack.generateKey({ name: `ci runner ${tag}`, description: null });
  secrets.push(octo.secret, hyper.secret);
  const octoRef = `${octopusUser}/${octo.apiKey.id}`;
  await audit({ operation: 'createOctopusApiKey', provider: 'OCTOPUS', account: 'default', keyId: octoRef, keyName: 'deploy bot', keyHint: octo.apiKey.keyHint, outcome: 'OK' });
  await audit({ operation: 'generateHyperstackApiKey', provider: 'HYPERSTACK', account: 'default', keyId: hyper.apiKey.id, keyName: `ci runner ${tag}`, keyHint: hyper.apiKey.keyHint, outcome: 'OK' });

  // Rotate both: intent first, then the provider, then the new key's reference and hint.
  const rotated: Rotation[] = [];
  {
    const r = await rotations.start({ provider: 'OCTOPUS', account: 'default', oldKeyId: octoRef, oldKeyName: 'deploy bot', oldKeyHint: octo.apiKey.keyHint, newKeyName: 'deploy bot (rotated)', overlapSeconds: 600, startedBy: 'ci' });
    const minted = await octopus.createKey({ userId: octopusUser, purpose: r.newKeyName, expires: undefined });
    secrets.push(minted.secret);
    rotated.push(await rotations.recordNewKey(r.id, { newKeyId: `${octopusUser}/${minted.apiKey.id}`, newKeyHint: minted.apiKey.keyHint }));
    await audit({ operation: 'rotateApiKey', provider: 'OCTOPUS', account: 'default', keyId: octoRef, keyName: 'deploy bot', keyHint: minted.apiKey.keyHint, outcome: 'OK', detail: `rotation ${r.id}` });
  }
  {
    const r = await rotations.start({ provider: 'HYPERSTACK', account: 'default', oldKeyId: hyper.apiKey.id, oldKeyName: `ci runner ${tag}`, oldKeyHint: hyper.apiKey.keyHint, newKeyName: `ci runner ${tag} (rotated)`, overlapSeconds: 600, startedBy: 'ci' });
    const minted = await hyperstack.generateKey({ name: r.newKeyName, description: null });
    secrets.push(minted.secret);
    rotated.push(await rotations.recordNewKey(r.id, { newKeyId: minted.apiKey.id, newKeyHint: minted.apiKey.keyHint }));
    await audit({ operation: 'rotateApiKey', provider: 'HYPERSTACK', account: 'default', keyId: hyper.apiKey.id, keyName: `ci runner ${tag}`, keyHint: minted.apiKey.keyHint, outcome: 'OK', detail: `rotation ${r.id}` });
  }

  // Callers that get it wrong: a secret where a name, a note or an id should be.
  await audit({ operation: 'revokeLeakedSecret', provider: 'OCTOPUS', keyId: octo.secret, keyName: `leaked: ${octo.secret}`, outcome: 'OK', detail: hyper.secret });
  await audit({ operation: 'createOctopusApiKey', provider: 'OCTOPUS', keyName: octopusCredential, outcome: 'UNAUTHENTICATED', detail: `credential ${hyperstackCredential}` });
  await expect(
    rotations.start({ provider: 'HYPERSTACK', account: 'default', oldKeyId: '1', oldKeyName: hyper.secret, newKeyName: 'x', overlapSeconds: 0, startedBy: 'ci' }),
  ).rejects.toMatchObject({ code: 'SECRET_REFUSED' });

  // The overlap ends: the scheduler revokes both old keys at the simulators, with the configured credentials.
  clock.advance(600_000);
  const scheduler = new RevocationScheduler(rotations, {
    revoke: async (rotation) => {
      if (rotation.provider === 'OCTOPUS') {
        const [userId, id] = rotation.oldKeyId.split('/');
        await octopus.deleteKey(userId!, id!);
      } else {
        await hyperstack.deleteKey(rotation.oldKeyId);
      }
      return 'REVOKED';
    },
    onResult: (result) =>
      void audit({ operation: 'scheduledRevoke', provider: result.rotation.provider, keyId: result.rotation.oldKeyId, keyHint: result.rotation.oldKeyHint, outcome: result.code ?? 'OK' }),
  });
  const results = await scheduler.tick();
  expect(results.map((r) => r.outcome)).toEqual(['COMPLETED', 'COMPLETED']);
  await trail.close();

  // The flow really happened: the old keys are gone at the providers, the new ones are there.
  const octopusKeys = (await octopus.listKeys(octopusUser, { skip: 0, take: 1000 })).items.map((k) => k.id);
  expect(octopusKeys).not.toContain(octo.apiKey.id);
  expect(octopusKeys).toContain(rotated[0]!.newKeyId!.split('/')[1]);
  expect((await hyperstack.listKeys()).map((k) => k.id)).toEqual(expect.arrayContaining([rotated[1]!.newKeyId]));
  expect((await events.list()).edges).toHaveLength(8);
  return [...new Set(secrets)];
}

/** Every file the database keeps its data in: SQLite's file and its WAL; PostgreSQL's data directory after a checkpoint. */
async function databaseFiles(backend: Backend, store: Store): Promise<string[]> {
  if (store.dialect === 'sqlite') {
    const path = store.location.slice('sqlite:'.length);
    return [path, `${path}-wal`].filter((file) => file);
  }
  await sql`checkpoint`.execute(store.db);
  const root = backend.server().dataDir;
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe.each(backends())('no secret in the store on $name', (backend) => {
  if (backend.missing) {
    it.skip(backend.missing, () => {});
    return;
  }
  backend.setup();

  it('after minting, auditing, rotating and revoking for real, no row of any table and no byte of the database holds a secret', async () => {
    const store = await openTestStore(backend);
    const secrets = await driveLikeTheGateway(store, backend.name);
    expect(secrets.length).toBeGreaterThanOrEqual(6);
    for (const secret of secrets) expect(secretShape(secret), 'every secret used is one the guard knows').toBeDefined();

    const dump = await dumpAllTables(store);
    expect(dump.find((t) => t.table === 'audit_events')!.rows).toHaveLength(8);
    expect(dump.find((t) => t.table === 'rotations')!.rows).toHaveLength(2);
    const text = JSON.stringify(dump);
    for (const secret of secrets) expect(text).not.toContain(secret);
    for (const { table, rows } of dump) {
      for (const row of rows) {
        for (const [column, value] of Object.entries(row)) {
          if (typeof value === 'string') expect(secretShape(value), `${table}.${column}`).toBeUndefined();
        }
      }
    }

    // Bytes, not rows: nothing was ever written, so nothing lingers in free pages or the write-ahead log either.
    const files = await databaseFiles(backend, store);
    expect(files.length).toBeGreaterThan(0);
    let scanned = 0;
    for (const file of files) {
      const bytes = await readFile(file).catch(() => undefined);
      if (!bytes) continue;
      scanned += bytes.length;
      for (const secret of secrets) expect(bytes.includes(secret), `${secret.slice(0, 4)}… in ${file}`).toBe(false);
    }
    // The scan saw the data: the hints that were stored are found in the same bytes.
    const all = Buffer.concat(await Promise.all(files.map((f) => readFile(f).catch(() => Buffer.alloc(0)))));
    expect(all.includes('deploy bot (rotated)')).toBe(true);
    expect(scanned).toBeGreaterThan(0);
  });
});
