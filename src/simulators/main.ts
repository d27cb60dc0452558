// Standalone entry: `npm run simulators`. Starts both simulators with the demo seed on fixed ports
// and prints where they listen and the (fake, freshly minted) credentials to use with them.
import { startHyperstackSimulator } from './hyperstack.js';
import { startOctopusSimulator } from './octopus.js';
import { demoHyperstackUsers, demoOctopusUsers } from './seed.js';

const HELP = `Usage: npm run simulators [-- --help]

Starts loopback simulators of the Octopus Deploy and Hyperstack API-key endpoints with the demo's
seed data, and prints their URLs and credentials. Ctrl+C stops them.

Environment:
  OCTOPUS_SIM_PORT=4010              Octopus port (0: any free port)
  HYPERSTACK_SIM_PORT=4020           Hyperstack port (0: any free port)
  OCTOPUS_SIM_READ_FIELDS=2026       2021: keys without AccessLevel, ActorType and last use (an older server)
  OCTOPUS_SIM_BULK_KEYS=0            add this many generated keys to Users-1 (for scale trials)
  HYPERSTACK_SIM_STRICT_SEED_AUTH=0  1: generate needs the access token (Authorization: Bearer) and refuses api_key
`;

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${name} must be a port number (0-65535), got '${raw}'`);
  }
  return port;
}

function choiceFromEnv<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(choices as readonly string[]).includes(raw)) throw new Error(`${name} must be one of ${choices.join(', ')}, got '${raw}'`);
  return raw as T;
}

function countFromEnv(name: string): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return 0;
  const count = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(count)) throw new Error(`${name} must be a whole number, got '${raw}'`);
  return count;
}

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(HELP);
    return;
  }
  const octopusPort = portFromEnv('OCTOPUS_SIM_PORT', 4010);
  const hyperstackPort = portFromEnv('HYPERSTACK_SIM_PORT', 4020);
  const readFields = choiceFromEnv('OCTOPUS_SIM_READ_FIELDS', ['2026', '2021'], '2026');
  const bulkKeys = countFromEnv('OCTOPUS_SIM_BULK_KEYS');
  const strictSeedAuth = choiceFromEnv('HYPERSTACK_SIM_STRICT_SEED_AUTH', ['0', '1'], '0') === '1';
  const now = new Date();
  const octopusUsers = demoOctopusUsers(now).map((u) => (u.id === 'Users-1' && bulkKeys > 0 ? { ...u, bulkKeys } : u));
  const hyperstackUsers = demoHyperstackUsers(now);
  const [octopusStart, hyperstackStart] = await Promise.allSettled([
    startOctopusSimulator({ port: octopusPort, users: octopusUsers, readFields }),
    startHyperstackSimulator({ port: hyperstackPort, users: hyperstackUsers, strictSeedAuth }),
  ]);
  if (octopusStart.status === 'rejected' || hyperstackStart.status === 'rejected') {
    // Stop the one that did start, or it would keep the process alive after the error.
    const started = [octopusStart, hyperstackStart];
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.close() : undefined)));
    throw started.find((s): s is PromiseRejectedResult => s.status === 'rejected')?.reason;
  }
  const octopus = octopusStart.value;
  const hyperstack = hyperstackStart.value;

  const role = (u: (typeof octopusUsers)[number]) => (u.isAdmin ? ' (admin)' : u.isService ? ' (service)' : '');
  const lines = [
    `Octopus simulator:    ${octopus.url}   (OCTOPUS_URL; the gateway adds /api; ${readFields} key fields)`,
    ...octopusUsers.map((u) => {
      const secret = octopus.credentials[u.id];
      const who = `${u.id} ${u.username}${role(u)}`;
      return `  ${who.padEnd(40)} X-Octopus-ApiKey: ${secret ?? '(no working key)'}`;
    }),
    ...(bulkKeys > 0 ? [`  (Users-1 also has ${bulkKeys} generated keys)`] : []),
    `Hyperstack simulator: ${hyperstack.url}   (HYPERSTACK_URL${strictSeedAuth ? '; generate needs the access token' : ''})`,
    ...hyperstackUsers.map(
      (u, i) => `  ${u.name.padEnd(40)} api_key: ${hyperstack.credentials[i] ?? '(none)'}   Authorization: Bearer ${hyperstack.accessTokens[i] ?? '(none)'}`,
    ),
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
