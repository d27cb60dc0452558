// Standalone entry: `npm run simulators`. Starts both simulators with the demo seed on fixed ports
// and prints where they listen and the (fake, freshly minted) credentials to use with them.
import { startHyperstackSimulator } from './hyperstack.js';
import { startOctopusSimulator } from './octopus.js';
import { demoHyperstackUsers, demoOctopusUsers } from './seed.js';

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${name} must be a port number (0-65535), got '${raw}'`);
  }
  return port;
}

async function main(): Promise<void> {
  const octopusPort = portFromEnv('OCTOPUS_SIM_PORT', 4010);
  const hyperstackPort = portFromEnv('HYPERSTACK_SIM_PORT', 4020);
  const now = new Date();
  const octopusUsers = demoOctopusUsers(now);
  const hyperstackUsers = demoHyperstackUsers(now);
  const [octopusStart, hyperstackStart] = await Promise.allSettled([
    startOctopusSimulator({ port: octopusPort, users: octopusUsers }),
    startHyperstackSimulator({ port: hyperstackPort, users: hyperstackUsers }),
  ]);
  if (octopusStart.status === 'rejected' || hyperstackStart.status === 'rejected') {
    // Stop the one that did start, or it would keep the process alive after the error.
    const started = [octopusStart, hyperstackStart];
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.close() : undefined)));
    throw started.find((s): s is PromiseRejectedResult => s.status === 'rejected')?.reason;
  }
  const octopus = octopusStart.value;
  const hyperstack = hyperstackStart.value;

  const lines = [
    `Octopus simulator:    ${octopus.url}   (OCTOPUS_URL; the gateway adds /api)`,
    ...octopusUsers.map((u) => {
      const secret = octopus.credentials[u.id];
      const who = `${u.id} ${u.username}${u.isAdmin ? ' (admin)' : ''}`;
      return `  ${who.padEnd(32)} X-Octopus-ApiKey: ${secret ?? '(no working key)'}`;
    }),
    `Hyperstack simulator: ${hyperstack.url}   (HYPERSTACK_URL)`,
    ...hyperstackUsers.map((u, i) => `  ${u.name.padEnd(32)} api_key: ${hyperstack.credentials[i] ?? '(none)'}`),
    'These are demo credentials for the local simulators only. Ctrl+C stops them.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.warn(`${signal}: stopping simulators`);
    Promise.all([octopus.close(), hyperstack.close()]).then(
      () => {
        process.exitCode = 0;
      },
      (error: unknown) => {
        console.error('failed to stop simulators:', error);
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
