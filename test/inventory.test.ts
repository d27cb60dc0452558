// The background inventory behind the key gauges on /metrics: values, no secret, outages keeping
// the last values, one list call per account per refresh, and its schedule. Real simulators on
// loopback; the schedule and the clock are injected, and each refresh is triggered and awaited.
import { randomUUID } from 'node:crypto';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { loadConfig, type AccountConfig, type Config } from '../src/config.js';
import { DEFAULT_ACCOUNT } from '../src/domain.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { backgroundInterval, type Scheduler } from '../src/inventory/inventory.js';
import { createLogger } from '../src/logger.js';
import {
  GOVERNANCE_KEY_IDS as IDS,
  governanceOctopusUsers,
  startHyperstackSimulator,
  startOctopusSimulator,
  type HyperstackSimulator,
  type OctopusSimulator,
} from '../src/simulators/index.js';
import { TEST_UPSTREAM } from './support/upstreams.js';

const DAY_MS = 86_400_000;
const OCTOPUS_LIST = 'GET /api/users/{userId}/apikeys';
const OCTOPUS_ME = 'GET /api/users/me';
const HYPERSTACK_LIST = 'GET /v1/api-key';
const START = Date.UTC(2026, 10, 30, 12);

/** A scheduler the test drives: it records the interval and fires ticks when told. */
function manualScheduler() {
  const ticks: (() => void)[] = [];
  const state = {
    intervals: [] as number[],
    stopped: 0,
    scheduler: ((tick, everyMs) => {
      ticks.push(tick);
      state.intervals.push(everyMs);
      return () => {
        state.stopped++;
      };
    }) as Scheduler,
    tick: () => ticks.forEach((tick) => tick()),
  };
  return state;
}

interface Harness {
  gateway: Gateway;
  close(): Promise<void>;
  octopus: OctopusSimulator;
  hyperstack: HyperstackSimulator;
  schedule: ReturnType<typeof manualScheduler>;
  clock: { now: number };
  metrics(): Promise<string>;
  counts(): Record<string, number>;
  resetCounts(): void;
  logs(): Record<string, unknown>[];
}

/**
 * Simulators with the governance seed (every risk on Users-2, "dev") and two Hyperstack keys, and a
 * gateway whose `default` Octopus account holds dev's credential. `accounts` adds more.
 */
async function start(
  options: {
    env?: Record<string, string>;
    accounts?: (o: OctopusSimulator, h: HyperstackSimulator) => AccountConfig[];
    octopusCredential?: boolean;
    /** Runs before the gateway (and its first refresh) starts: faults, say. */
    prepare?: (o: OctopusSimulator, h: HyperstackSimulator) => void;
    /** Wait for the first refresh (default true). */
    join?: boolean;
  } = {},
): Promise<Harness> {
  const now = new Date();
  const [octopus, hyperstack] = await Promise.all([
    startOctopusSimulator({ users: governanceOctopusUsers(now) }),
    startHyperstackSimulator({
      users: [
        {
          name: 'alice',
          keys: [
            { name: 'gateway', description: 'the key keygate uses', createdAt: new Date(now.getTime() - 10 * DAY_MS) },
            { name: 'training', description: null, createdAt: new Date(now.getTime() - 200 * DAY_MS) },
          ],
        },
        { name: 'bob', keys: [{ name: 'bob-only', createdAt: new Date(now.getTime() - 5 * DAY_MS) }] },
      ],
    }),
  ]);
  onTestFinished(() => Promise.all([octopus.close(), hyperstack.close()]).then(() => undefined));
  // UNUSED_DAYS 20: the never-used key (30 days old) and the one unused for 120 days both count.
  const base = loadConfig({ DEMO: '0', LOG_LEVEL: 'silent', ALLOWED_HOSTS: 'keygate.test', INVENTORY_REFRESH_S: '300', UNUSED_DAYS: '20', ...options.env });
  const config: Config = {
    ...base,
    accounts: [
      {
        name: DEFAULT_ACCOUNT,
        provider: 'OCTOPUS',
        baseUrl: `${octopus.url}/api`,
        apiKey: options.octopusCredential === false ? undefined : octopus.credentials['Users-2'],
      },
      { name: DEFAULT_ACCOUNT, provider: 'HYPERSTACK', baseUrl: hyperstack.url, apiKey: hyperstack.credentials[0] },
      ...(options.accounts?.(octopus, hyperstack) ?? []),
    ],
    upstream: { ...base.upstream, ...TEST_UPSTREAM },
    // Every refresh reads afresh, so its calls can be counted.
    lists: { ...base.lists, cacheTtlMs: 0, dedupe: false },
  };
  options.prepare?.(octopus, hyperstack);
  const lines: string[] = [];
  const logger = createLogger({ logLevel: 'debug' }, { write: (line: string) => lines.push(line) });
  const schedule = manualScheduler();
  const clock = { now: START };
  const gateway = createGateway(config, { logger, inventory: { scheduler: schedule.scheduler, clock: () => clock.now } });
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= gateway.close());
  onTestFinished(close);
  const called = (sim: OctopusSimulator | HyperstackSimulator) => Object.fromEntries(Object.entries(sim.counts()).filter(([, n]) => n !== 0));
  // The refresh that start() began: joined, so every test starts from a finished one.
  if (options.join !== false) await gateway.inventory?.refresh();
  return {
    gateway,
    close,
    octopus,
    hyperstack,
    schedule,
    clock,
    metrics: async () => (await gateway.yoga.fetch('http://keygate.test/metrics')).text(),
    counts: () => ({ ...called(octopus), ...called(hyperstack) }),
    resetCounts() {
      octopus.resetCounts();
      hyperstack.resetCounts();
    },
    logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** The samples of one metric in the Prometheus text format, label values unescaped. */
function samples(text: string, name: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${name}(?:\\{(.*)\\})? (\\S+)$`).exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, label, raw] of (match[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[label!] = raw!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    out.push({ labels, value: Number(match[2]) });
  }
  return out;
}

/** keygate_api_keys of one account as { risk: count }. */
function countsOf(text: string, provider: string, account = DEFAULT_ACCOUNT): Record<string, number> {
  return Object.fromEntries(
    samples(text, 'keygate_api_keys')
      .filter((s) => s.labels.provider === provider && s.labels.account === account)
      .map((s) => [s.labels.risk, s.value]),
  );
}

/** The dev user's keys by risk, worked out by hand from the governance seed (UNUSED_DAYS 20). */
const DEV_COUNTS = {
  ALL: 9,
  EXPIRED: 1,
  EXPIRING_SOON: 1,
  NEVER_EXPIRES: 1,
  OLDER_THAN_POLICY: 2, // the 120-day-old key and the abandoned integration (200 days)
  UNUSED: 2, // never used in 30 days, and last used 120 days ago; "last use unknown" is not a risk
  FULL_ACCESS: 8, // all but the read-only key
};

const inventoryLines = (text: string) => text.split('\n').filter((l) => /^keygate_(api_key|inventory)/.test(l));

describe('inventory gauges', () => {
  it('count the keys of each configured account by risk, with every risk shown', async () => {
    const h = await start();
    const text = await h.metrics();
    expect(countsOf(text, 'OCTOPUS')).toEqual(DEV_COUNTS);
    // Hyperstack keys never expire; one of alice's two is older than 90 days. bob's key is not hers.
    expect(countsOf(text, 'HYPERSTACK')).toEqual({
      ALL: 2,
      EXPIRED: 0,
      EXPIRING_SOON: 0,
      NEVER_EXPIRES: 2,
      OLDER_THAN_POLICY: 1,
      UNUSED: 0,
      FULL_ACCESS: 0,
    });
  });

  it('give each key that expires its expiry time, and nothing for keys that never expire', async () => {
    const h = await start();
    const series = samples(await h.metrics(), 'keygate_api_key_expiry_timestamp_seconds');
    const expected = h.octopus
      .keysOf('Users-2')
      .filter((key) => key.expires !== null)
      .map((key) => ({ labels: { provider: 'OCTOPUS', account: 'default', key_id: key.id, name: key.purpose }, value: key.expires!.getTime() / 1000 }));
    expect(expected).toHaveLength(8);
    expect(series).toEqual(expect.arrayContaining(expected));
    expect(series).toHaveLength(8);
    expect(series.some((s) => s.labels.key_id === IDS.neverExpires)).toBe(false);
    expect(series.find((s) => s.labels.key_id === IDS.expired)!.value).toBeLessThan(Date.now() / 1000);
  });

  it('record when each account was last read, by the injected clock', async () => {
    const h = await start();
    expect(samples(await h.metrics(), 'keygate_inventory_last_success_timestamp_seconds')).toEqual([
      { labels: { provider: 'OCTOPUS', account: 'default' }, value: START / 1000 },
      { labels: { provider: 'HYPERSTACK', account: 'default' }, value: START / 1000 },
    ]);
    h.clock.now = START + 300_000;
    await h.gateway.inventory!.refresh();
    expect(samples(await h.metrics(), 'keygate_inventory_last_success_timestamp_seconds').map((s) => s.value)).toEqual([
      (START + 300_000) / 1000,
      (START + 300_000) / 1000,
    ]);
  });

  it('follow the keys: a removed key loses its series and its counts at the next refresh', async () => {
    const h = await start();
    expect(h.octopus.removeKey(IDS.expired)).toBe(true);
    await h.gateway.inventory!.refresh();
    const text = await h.metrics();
    expect(countsOf(text, 'OCTOPUS')).toEqual({ ...DEV_COUNTS, ALL: 8, EXPIRED: 0, FULL_ACCESS: 7 });
    expect(samples(text, 'keygate_api_key_expiry_timestamp_seconds').some((s) => s.labels.key_id === IDS.expired)).toBe(false);
  });
});

describe('no secret in /metrics', () => {
  it('holds no credential, secret or hint, and a hostile key name becomes a short, escaped, scrubbed label', async () => {
    const h = await start();
    const added = h.octopus.addKey('Users-2', {
      purpose: `Deploy "prod" \\ with\nnewline, ${h.octopus.credentials['Users-2']}, ${h.hyperstack.credentials[0]} and API-ABCDEFGHIJKLMNOPQRSTUVWXYZ pasted, ${'x'.repeat(200)}`,
      expires: new Date(Date.now() + 2 * DAY_MS),
    });
    await h.gateway.inventory!.refresh();
    const text = await h.metrics();

    const secrets = [
      ...Object.values(h.octopus.credentials),
      added.secret,
      ...h.hyperstack.credentials,
      ...h.hyperstack.accessTokens,
      // Octopus hints: the first 8 characters of each secret.
      ...['Users-1', 'Users-2', 'Users-3'].flatMap((user) => h.octopus.keysOf(user).map((key) => key.hint)),
    ];
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/API-[A-Z0-9]{16,}/);

    const hostile = samples(text, 'keygate_api_key_expiry_timestamp_seconds').find((s) => s.labels.key_id === added.id)!;
    expect(hostile.labels.name).toMatch(/^Deploy "prod" \\ with newline, API-…, … and API-… pasted, x+…$/);
    expect([...hostile.labels.name!]).toHaveLength(64);
    // prom-client escaped the quote and the backslash: the raw line holds them escaped.
    expect(text).toContain('name="Deploy \\"prod\\" \\\\ with newline');
  });

  it('cuts every shape of secret the store refuses from a name: another Hyperstack key, a JWT', async () => {
    const h = await start();
    const otherKey = randomUUID(); // a Hyperstack key that is none of the gateway's own credentials
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJlMDA';
    const added = h.octopus.addKey('Users-2', { purpose: `hs ${otherKey} jwt ${jwt}`, expires: new Date(Date.now() + 2 * DAY_MS) });
    await h.gateway.inventory!.refresh();
    const text = await h.metrics();
    expect(text).not.toContain(otherKey);
    expect(text).not.toContain(jwt);
    const sample = samples(text, 'keygate_api_key_expiry_timestamp_seconds').find((s) => s.labels.key_id === added.id)!;
    expect(sample.labels.name).toBe('hs … jwt …');
  });
});

describe('a provider outage', () => {
  it('keeps the last gauges and the last-success time, logs it, and catches up when the provider is back', async () => {
    const h = await start();
    const before = inventoryLines(await h.metrics());
    expect(before.length).toBeGreaterThan(15);

    h.octopus.fault(OCTOPUS_LIST, { mode: 'error' });
    h.hyperstack.fault(HYPERSTACK_LIST, { mode: 'drop' });
    // Meanwhile a key goes away: the failed refresh cannot know, and does not pretend to.
    h.octopus.removeKey(IDS.expired);
    h.clock.now = START + 300_000;
    h.resetCounts();
    await h.gateway.inventory!.refresh();
    expect(h.counts()[OCTOPUS_LIST]).toBe(1);
    expect(inventoryLines(await h.metrics())).toEqual(before);
    const warnings = h.logs().filter((l) => l.level === 40 && String(l.msg).startsWith('inventory:'));
    // In whichever order the two failed.
    expect(warnings).toHaveLength(2);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ provider: 'OCTOPUS', account: 'default', code: 'UPSTREAM_ERROR' }),
        expect.objectContaining({ provider: 'HYPERSTACK', account: 'default', code: 'UPSTREAM_UNAVAILABLE' }),
      ]),
    );

    h.octopus.clearFaults();
    h.hyperstack.clearFaults();
    h.clock.now = START + 600_000;
    await h.gateway.inventory!.refresh();
    const after = await h.metrics();
    expect(countsOf(after, 'OCTOPUS')).toEqual({ ...DEV_COUNTS, ALL: 8, EXPIRED: 0, FULL_ACCESS: 7 });
    expect(samples(after, 'keygate_inventory_last_success_timestamp_seconds').map((s) => s.value)).toEqual([
      (START + 600_000) / 1000,
      (START + 600_000) / 1000,
    ]);
  });

  it('of one provider leaves the other one updating', async () => {
    const h = await start();
    h.hyperstack.fault(HYPERSTACK_LIST, { mode: 'error' });
    h.clock.now = START + 300_000;
    await h.gateway.inventory!.refresh();
    expect(samples(await h.metrics(), 'keygate_inventory_last_success_timestamp_seconds')).toEqual([
      { labels: { provider: 'OCTOPUS', account: 'default' }, value: (START + 300_000) / 1000 },
      { labels: { provider: 'HYPERSTACK', account: 'default' }, value: START / 1000 },
    ]);
  });

  it('at start-up, an account whose list hangs holds back no other: each is shown as soon as it is read', async () => {
    let held: ReturnType<OctopusSimulator['hold']> | undefined;
    const h = await start({ prepare: (octopus) => void (held = octopus.hold(OCTOPUS_LIST)), join: false });
    await held!.arrived;
    await expect.poll(async () => countsOf(await h.metrics(), 'HYPERSTACK')).toMatchObject({ ALL: 2 });
    expect(countsOf(await h.metrics(), 'OCTOPUS')).toEqual({});
    held!.release();
    await h.gateway.inventory!.refresh();
    expect(countsOf(await h.metrics(), 'OCTOPUS')).toMatchObject({ ALL: expect.any(Number) });
  });

  it('before any success shows a last-success time of 0 and no counts', async () => {
    const h = await start({ prepare: (octopus) => octopus.fault('*', { mode: 'error' }) });
    const text = await h.metrics();
    expect(samples(text, 'keygate_inventory_last_success_timestamp_seconds')).toEqual([
      { labels: { provider: 'OCTOPUS', account: 'default' }, value: 0 },
      { labels: { provider: 'HYPERSTACK', account: 'default' }, value: START / 1000 },
    ]);
    expect(countsOf(text, 'OCTOPUS')).toEqual({});
    expect(countsOf(text, 'HYPERSTACK')).toMatchObject({ ALL: 2 });
  });
});

describe('upstream cost', () => {
  it('one list call per account per refresh (plus GET /users/me once, on the first)', async () => {
    // The user behind a credential is not looked up again even when the shared cache forgets it.
    const h = await start({ env: { OCTOPUS_USER_CACHE_TTL_MS: '0' } });
    // start() awaited the first refresh, which also learnt who the Octopus credential belongs to.
    expect(h.counts()).toEqual({ [OCTOPUS_ME]: 1, [OCTOPUS_LIST]: 1, [HYPERSTACK_LIST]: 1 });
    for (let i = 0; i < 3; i++) {
      h.resetCounts();
      await h.gateway.inventory!.refresh();
      expect(h.counts()).toEqual({ [OCTOPUS_LIST]: 1, [HYPERSTACK_LIST]: 1 });
    }
  });

  it('with several accounts: one list each, and gauges per account', async () => {
    const h = await start({
      accounts: (octopus, hyperstack) => [
        { name: 'admin', provider: 'OCTOPUS', baseUrl: `${octopus.url}/api`, apiKey: octopus.credentials['Users-1'] },
        { name: 'bob', provider: 'HYPERSTACK', baseUrl: hyperstack.url, apiKey: hyperstack.credentials[1] },
      ],
    });
    h.resetCounts();
    await h.gateway.inventory!.refresh();
    expect(h.counts()).toEqual({ [OCTOPUS_LIST]: 2, [HYPERSTACK_LIST]: 2 });
    const text = await h.metrics();
    // admin's own keys only (one healthy key), not the whole instance.
    expect(countsOf(text, 'OCTOPUS', 'admin')).toMatchObject({ ALL: 1, EXPIRED: 0, FULL_ACCESS: 1 });
    expect(countsOf(text, 'OCTOPUS')).toEqual(DEV_COUNTS);
    expect(countsOf(text, 'HYPERSTACK', 'bob')).toMatchObject({ ALL: 1, NEVER_EXPIRES: 1 });
    expect(samples(text, 'keygate_api_key_expiry_timestamp_seconds').filter((s) => s.labels.account === 'admin').map((s) => s.labels.key_id)).toEqual([
      IDS.healthy,
    ]);
  });

  it('never uses a forwarded credential: an account without a configured one is left out', async () => {
    const h = await start({ octopusCredential: false });
    expect(h.gateway.inventory!.accounts).toEqual(['hyperstack/default']);
    // A request that brings its own Octopus credential changes nothing for the inventory.
    const response = await h.gateway.yoga.fetch('http://keygate.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-octopus-apikey': h.octopus.credentials['Users-2']! },
      body: JSON.stringify({ query: '{ apiKeys { totalCount } }' }),
    });
    expect(response.status).toBe(200);
    h.resetCounts();
    await h.gateway.inventory!.refresh();
    expect(h.counts()).toEqual({ [HYPERSTACK_LIST]: 1 });
    const gauges = inventoryLines(await h.metrics());
    expect(gauges.some((line) => line.includes('provider="HYPERSTACK"'))).toBe(true);
    expect(gauges.filter((line) => line.includes('provider="OCTOPUS"'))).toEqual([]);
  });
});

describe('label cardinality', () => {
  it('at most INVENTORY_MAX_EXPIRY_SERIES expiry series, the soonest to expire, and how many were left out', async () => {
    const h = await start({ env: { INVENTORY_MAX_EXPIRY_SERIES: '3' } });
    const text = await h.metrics();
    const series = samples(text, 'keygate_api_key_expiry_timestamp_seconds');
    // expired 5 days ago, expires in 3 days, then the key expiring in 120 days.
    expect(series.map((s) => s.labels.key_id)).toEqual([IDS.expired, IDS.expiresIn3Days, IDS.lastUseUnknown]);
    expect(samples(text, 'keygate_inventory_expiry_series_omitted')).toEqual([{ labels: {}, value: 5 }]);
    // The counts are not bounded by it.
    expect(countsOf(text, 'OCTOPUS')).toEqual(DEV_COUNTS);
  });

  it('keeps the bound across accounts, and across pages of the sorted list', async () => {
    // 600 more keys for dev, expiring after every seeded one: more than one page (500) of the list.
    const h = await start({
      env: { INVENTORY_MAX_EXPIRY_SERIES: '520' },
      accounts: (octopus) => [{ name: 'admin', provider: 'OCTOPUS', baseUrl: `${octopus.url}/api`, apiKey: octopus.credentials['Users-1'] }],
    });
    for (let i = 0; i < 600; i++) h.octopus.addKey('Users-2', { purpose: `bulk ${i}`, expires: new Date(Date.now() + (300 + i) * DAY_MS) });
    h.resetCounts();
    await h.gateway.inventory!.refresh();
    expect(h.counts()).toEqual({ [OCTOPUS_LIST]: 2, [HYPERSTACK_LIST]: 1 }); // one walk per account (page size 1000)
    const text = await h.metrics();
    const series = samples(text, 'keygate_api_key_expiry_timestamp_seconds');
    expect(series).toHaveLength(520);
    expect(series.filter((s) => s.labels.account === 'admin')).toHaveLength(1); // admin's key expires in 170 days: kept
    expect(series.filter((s) => s.labels.name!.startsWith('bulk '))).toHaveLength(520 - 9);
    expect(samples(text, 'keygate_inventory_expiry_series_omitted')[0]!.value).toBe(608 + 1 - 520);
  });
});

describe('schedule', () => {
  it('refreshes at start and then every INVENTORY_REFRESH_S, never two at once', async () => {
    const h = await start({ env: { INVENTORY_REFRESH_S: '120' } });
    expect(h.schedule.intervals).toEqual([120_000]);
    h.resetCounts();
    // A tick while a refresh is under way joins it rather than starting another.
    const running = h.gateway.inventory!.refresh();
    h.schedule.tick();
    h.schedule.tick();
    expect(h.gateway.inventory!.refresh()).toBe(running);
    await running;
    expect(h.counts()).toEqual({ [OCTOPUS_LIST]: 1, [HYPERSTACK_LIST]: 1 });

    // A tick on its own starts a refresh (awaited through the one it started).
    h.resetCounts();
    h.schedule.tick();
    await h.gateway.inventory!.refresh();
    expect(h.counts()).toEqual({ [OCTOPUS_LIST]: 1, [HYPERSTACK_LIST]: 1 });
  });

  it('the first refresh starts with the gateway, without anyone asking', async () => {
    const h = await start({ join: false });
    // Waits for the event, not for a time: the bound is only there to end a broken run.
    await vi.waitFor(async () => expect(countsOf(await h.metrics(), 'OCTOPUS')).toEqual(DEV_COUNTS), { timeout: 30_000, interval: 20 });
    expect(h.counts()).toEqual({ [OCTOPUS_ME]: 1, [OCTOPUS_LIST]: 1, [HYPERSTACK_LIST]: 1 });
  });

  it('stops on gateway close: the schedule is cancelled and later ticks call nothing', async () => {
    const h = await start();
    await h.close();
    expect(h.schedule.stopped).toBe(1);
    h.resetCounts();
    h.schedule.tick();
    await h.gateway.inventory!.refresh();
    expect(h.counts()).toEqual({});
  });

  it('INVENTORY_REFRESH_S=0 turns it off: no inventory, no calls, no key series', async () => {
    const h = await start({ env: { INVENTORY_REFRESH_S: '0' } });
    expect(h.gateway.inventory).toBeUndefined();
    expect(h.schedule.intervals).toEqual([]);
    expect(h.counts()).toEqual({});
    const text = await h.metrics();
    expect(samples(text, 'keygate_api_keys')).toEqual([]);
    expect(samples(text, 'keygate_inventory_last_success_timestamp_seconds')).toEqual([]);
  });

  it('the real interval does not keep the process alive', () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const stop = backgroundInterval(() => {}, 1_000);
    onTestFinished(stop);
    expect(timers()).toBe(before);
    // The check can fail: a referenced interval shows up.
    const held = setInterval(() => {}, 1_000);
    onTestFinished(() => clearInterval(held));
    expect(timers()).toBe(before + 1);
  });
});

describe('configuration', () => {
  it('defaults to a refresh every 300 s and 1000 expiry series; a bad value names its variable', () => {
    expect(loadConfig({ DEMO: '0' }).inventory).toEqual({ refreshMs: 300_000, maxExpirySeries: 1_000 });
    expect(loadConfig({ DEMO: '0', INVENTORY_REFRESH_S: '0', INVENTORY_MAX_EXPIRY_SERIES: '0' }).inventory).toEqual({ refreshMs: 0, maxExpirySeries: 0 });
    expect(() => loadConfig({ DEMO: '0', INVENTORY_REFRESH_S: 'hourly' })).toThrow(/INVENTORY_REFRESH_S/);
    expect(() => loadConfig({ DEMO: '0', INVENTORY_MAX_EXPIRY_SERIES: '-1' })).toThrow(/INVENTORY_MAX_EXPIRY_SERIES/);
  });
});
