// The inventory in the real entry point: a provider that is down when the gateway starts must
// neither stop it nor leave gauges that look healthy, and the background refresh must not hold
// up a clean shutdown.
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { startHyperstackSimulator, startOctopusSimulator } from '../src/simulators/index.js';
import { startGatewayProcess, upstreamEnv } from './support/process.js';

describe('the inventory in a gateway process', () => {
  it('survives an Octopus outage at startup, shows it as never read, and stops cleanly on SIGTERM', async () => {
    const [octopus, hyperstack] = await Promise.all([startOctopusSimulator(), startHyperstackSimulator()]);
    onTestFinished(() => Promise.all([octopus.close(), hyperstack.close()]).then(() => undefined));
    octopus.fault('GET /api/users/{userId}/apikeys', { mode: 'error' });

    const gateway = await startGatewayProcess({ ...upstreamEnv(octopus, hyperstack), INVENTORY_REFRESH_S: '300', LOG_LEVEL: 'warn' });
    onTestFinished(() => void gateway.child.kill('SIGKILL'));
    const metrics = async () => (await fetch(`${gateway.url}/metrics`)).text();

    // Each account is shown as soon as it is read: Hyperstack once its last-success time is set,
    // Octopus once its failure is logged (the log line travels through a pipe on its own schedule:
    // wait for it, not for a time). A gateway that dies meanwhile fails the test at once, with its output.
    const crashed = gateway.exited.then((code) => {
      throw new Error(`the gateway exited (${code}):\n${gateway.output()}`);
    });
    const refreshed = vi.waitFor(
      async () => expect(await metrics()).toMatch(/keygate_inventory_last_success_timestamp_seconds\{provider="HYPERSTACK",account="default"\} [1-9]/),
      { timeout: 30_000, interval: 50 },
    );
    const octopusFailed = vi.waitFor(() => expect(gateway.output()).toMatch(/inventory: could not read the keys of octopus\/default/), { timeout: 30_000, interval: 50 });
    await Promise.race([Promise.all([refreshed, octopusFailed]), crashed]);
    expect(octopus.requests('GET /api/users/{userId}/apikeys')).toBe(1);
    const text = await metrics();
    expect(text).toContain('keygate_inventory_last_success_timestamp_seconds{provider="OCTOPUS",account="default"} 0');
    expect(text).not.toMatch(/keygate_api_keys\{provider="OCTOPUS"/);

    expect(await gateway.stop('SIGTERM')).toBe(0);
  });
});
