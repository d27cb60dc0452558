// docs/alerts.yml: valid Prometheus rules (`promtool check rules`), and alerts that fire when they
// should (`promtool test rules`, Prometheus' own rule unit tests, over series shaped like the
// inventory's gauges). promtool comes from Debian's `prometheus` package; without it these tests
// skip with a message, unless REQUIRE_PROMTOOL=1 (set by .ci/run), where they must run.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { stringify } from 'yaml';
import { Metrics } from '../src/metrics.js';

const PROMTOOL = process.env.PROMTOOL ?? 'promtool';
const RULES = fileURLToPath(new URL('../docs/alerts.yml', import.meta.url));

const available = spawnSync(PROMTOOL, ['--version'], { stdio: 'ignore' }).status === 0;
if (!available && process.env.REQUIRE_PROMTOOL === '1') {
  throw new Error(`REQUIRE_PROMTOOL=1 but ${PROMTOOL} does not run (apt-get install prometheus)`);
}
if (!available) console.warn(`\n  alert rule tests SKIPPED: ${PROMTOOL} not found. Install Debian's prometheus package to run them.\n`);

function promtool(...args: string[]): { status: number | null; output: string };
function promtool(input: { stdin: string }, ...args: string[]): { status: number | null; output: string };
function promtool(first: string | { stdin: string }, ...rest: string[]): { status: number | null; output: string } {
  const [input, args] = typeof first === 'string' ? [undefined, [first, ...rest]] : [first.stdin, rest];
  const result = spawnSync(PROMTOOL, args, { encoding: 'utf8', input });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const DAY = 86_400;
const key = (key_id: string, name: string) => ({ provider: 'OCTOPUS', account: 'default', key_id, name });
const series = (metric: string, labels: Record<string, string>, values: string) => ({
  series: `${metric}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`,
  values,
});

describe.skipIf(!available)('docs/alerts.yml', () => {
  it('passes promtool check rules', () => {
    const result = promtool('check', 'rules', RULES);
    expect(result.output).toMatch(/SUCCESS: 4 rules found/);
    expect(result.status).toBe(0);
  });

  it('the gauges parse with Prometheus\' own parser, whatever a key name holds', async () => {
    const metrics = new Metrics();
    // Straight to the gauges, without the inventory's shaping: prom-client's escaping alone.
    metrics.showInventory({
      accounts: [{ provider: 'OCTOPUS', account: 'default', lastSuccessSeconds: 1_780_000_000, counts: new Map([['ALL', 1]]) }],
      expiring: [{ provider: 'OCTOPUS', account: 'default', keyId: 'apikeys-1', name: 'a "quoted" \\ back\nslash } {', expiresAtSeconds: 1_780_000_000.5 }],
      omittedExpirySeries: 0,
    });
    const result = promtool({ stdin: await metrics.registry.metrics() }, 'check', 'metrics');
    // Exit 3 is lint only; the one lint is prom-client's own process metrics, none of ours.
    const problems = result.output.split('\n').filter((line) => line && !/^nodejs_\w+_total non-counter metrics should not have "_total" suffix$/.test(line));
    expect(problems).toEqual([]);
    expect([0, 3]).toContain(result.status);
  });

  it('the README\'s Prometheus configuration loads them (promtool check config)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const config = /```yaml\n(# prometheus\.yml\n[\s\S]*?)```/.exec(readme)?.[1];
    expect(config).toContain('keygate-alerts.yml');
    const dir = mkdtempSync(join(tmpdir(), 'keygate-prometheus-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'prometheus.yml'), config!);
    copyFileSync(RULES, join(dir, 'keygate-alerts.yml'));
    const result = promtool('check', 'config', join(dir, 'prometheus.yml'));
    expect(result.output).toMatch(/SUCCESS: 4 rules found/);
    expect(result.status).toBe(0);
  });

  it('reads only metrics the gateway exports', () => {
    const names = new Set(readFileSync(RULES, 'utf8').match(/keygate_[a-z_]+/g));
    expect(names.size).toBeGreaterThanOrEqual(2);
    const registry = new Metrics().registry;
    for (const name of names) expect({ name, exported: registry.getSingleMetric(name) !== undefined }).toEqual({ name, exported: true });
  });

  it('fires for keys expiring within 7 days, expired keys, and an account not read for 15 minutes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keygate-alerts-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    // Time starts at 0 in promtool: an expiry of 3 days is "in 3 days".
    const tests = {
      rule_files: [RULES],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            series('keygate_api_key_expiry_timestamp_seconds', key('apikeys-Soon', 'Staging deploys'), `${3 * DAY}x60`),
            series('keygate_api_key_expiry_timestamp_seconds', key('apikeys-Later', 'Dev laptop'), `${30 * DAY}x60`),
            series('keygate_api_key_expiry_timestamp_seconds', key('apikeys-Gone', 'Old CI'), '60x60'),
            // Octopus refreshes every minute; Hyperstack has not been read since the start (0).
            series('keygate_inventory_last_success_timestamp_seconds', { provider: 'OCTOPUS', account: 'default' }, '0+60x60'),
            series('keygate_inventory_last_success_timestamp_seconds', { provider: 'HYPERSTACK', account: 'default' }, '0x60'),
          ],
          alert_rule_test: [
            {
              eval_time: '30m',
              alertname: 'KeygateApiKeyExpiringSoon',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning', ...key('apikeys-Soon', 'Staging deploys') },
                  exp_annotations: {
                    summary: 'API key "Staging deploys" expires in 2d 23h 30m 0s',
                    description:
                      'The OCTOPUS key apikeys-Soon ("Staging deploys", account default) expires in 2d 23h 30m 0s. Rotate it, or revoke it if nothing uses it any more.',
                  },
                },
              ],
            },
            {
              eval_time: '30m',
              alertname: 'KeygateApiKeyExpired',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning', ...key('apikeys-Gone', 'Old CI') },
                  exp_annotations: {
                    summary: 'API key "Old CI" has expired but is still listed',
                    description:
                      'The OCTOPUS key apikeys-Gone ("Old CI", account default) expired at 1970-01-01 00:01:00 +0000 UTC. Revoke it so the list shows only keys that work.',
                  },
                },
              ],
            },
            // Not before it is due: 14 minutes without a read is not yet stale.
            { eval_time: '14m', alertname: 'KeygateInventoryStale', exp_alerts: [] },
            {
              eval_time: '30m',
              alertname: 'KeygateInventoryStale',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning', provider: 'HYPERSTACK', account: 'default' },
                  exp_annotations: {
                    summary: 'keygate cannot read the keys of HYPERSTACK account default',
                    description:
                      'The key inventory last read HYPERSTACK account default more than 15 minutes ago; its key gauges show what was true then. The gateway\'s log says why ("inventory: could not read the keys of …").',
                  },
                },
              ],
            },
            { eval_time: '30m', alertname: 'KeygateInventoryAbsent', exp_alerts: [] },
          ],
        },
        {
          // No inventory series at all.
          interval: '1m',
          input_series: [series('up', { job: 'keygate' }, '1x30')],
          alert_rule_test: [
            {
              eval_time: '20m',
              alertname: 'KeygateInventoryAbsent',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning' },
                  exp_annotations: {
                    summary: "keygate's key inventory is not reporting",
                    description:
                      'No keygate_inventory_last_success_timestamp_seconds series for 15 minutes: keygate is not scraped, is down, or runs with INVENTORY_REFRESH_S=0.',
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const file = join(dir, 'alerts.test.yml');
    writeFileSync(file, stringify(tests));
    const result = promtool('test', 'rules', file);
    expect(result.output).toMatch(/SUCCESS/);
    expect(result.status).toBe(0);
  });
});
