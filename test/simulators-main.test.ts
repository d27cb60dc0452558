// `npm run simulators` (src/simulators/main.ts) as a child process: its help, its options, the
// credentials it prints, and a clean stop on SIGTERM.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = 'src/simulators/main.ts';

interface Run {
  /** Resolves with everything printed once the banner is complete (or the process exits). */
  ready: Promise<string>;
  exited: Promise<{ code: number | null; output: string }>;
  stop(): void;
}

function run(env: Record<string, string>, args: string[] = []): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', OCTOPUS_SIM_PORT: '0', HYPERSTACK_SIM_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let onReady: (text: string) => void = () => undefined;
  const ready = new Promise<string>((resolve) => (onReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (output.includes('Ctrl+C stops them.\n')) onReady(output);
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.once('exit', (code) => {
      onReady(output);
      resolve({ code, output });
    }),
  );
  return { ready, exited, stop: () => child.kill('SIGTERM') };
}

const match = (text: string, pattern: RegExp) => {
  const found = pattern.exec(text);
  if (!found?.[1]) throw new Error(`${pattern} not in:\n${text}`);
  return found[1];
};

describe('npm run simulators', () => {
  it('prints its options with --help and exits 0', async () => {
    const { code, output } = await run({}, ['--help']).exited;
    expect(code).toBe(0);
    for (const name of ['OCTOPUS_SIM_PORT', 'HYPERSTACK_SIM_PORT', 'OCTOPUS_SIM_READ_FIELDS', 'OCTOPUS_SIM_BULK_KEYS', 'HYPERSTACK_SIM_STRICT_SEED_AUTH']) {
      expect(output).toContain(name);
    }
  });

  it('serves the demo seed with the printed credentials and access tokens, then stops on SIGTERM', async () => {
    const sims = run({});
    try {
      const text = await sims.ready;
      const octopus = match(text, /Octopus simulator: +(http:\/\/\S+)/);
      const hyperstack = match(text, /Hyperstack simulator: +(http:\/\/\S+)/);
      const svc = match(text, /Users-4 svc-release-assistant \(service\) +X-Octopus-ApiKey: (\S+)/);
      const me = await fetch(`${octopus}/api/users/me`, { headers: { 'X-Octopus-ApiKey': svc } });
      expect(((await me.json()) as { IsService: boolean }).IsService).toBe(true);
      const token = match(text, /maria\.okafor +api_key: \S+ +Authorization: Bearer (\S+)/);
      expect((await fetch(`${hyperstack}/api-key`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    } finally {
      sims.stop();
    }
    expect((await sims.exited).code).toBe(0);
  });

  it('takes readFields, bulk keys and strict seed auth from the environment', async () => {
    const sims = run({ OCTOPUS_SIM_READ_FIELDS: '2021', OCTOPUS_SIM_BULK_KEYS: '1000', HYPERSTACK_SIM_STRICT_SEED_AUTH: '1' });
    try {
      const text = await sims.ready;
      const octopus = match(text, /Octopus simulator: +(http:\/\/\S+)/);
      const maria = match(text, /Users-1 maria\.okafor \(admin\) +X-Octopus-ApiKey: (\S+)/);
      const list = (await (await fetch(`${octopus}/api/users/Users-1/apikeys?take=1`, { headers: { 'X-Octopus-ApiKey': maria } })).json()) as {
        TotalResults: number;
        Items: Record<string, unknown>[];
      };
      expect(list.TotalResults).toBe(1003);
      expect(list.Items[0]).not.toHaveProperty('AccessLevel');

      const hyperstack = match(text, /Hyperstack simulator: +(http:\/\/\S+)/);
      const apiKey = match(text, /maria\.okafor +api_key: (\S+)/);
      const refused = await fetch(`${hyperstack}/api-key/generate`, {
        method: 'POST',
        headers: { api_key: apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'x' }),
      });
      expect(refused.status).toBe(401);
    } finally {
      sims.stop();
    }
    expect((await sims.exited).code).toBe(0);
  });

  it('refuses a bad option value, naming the variable', async () => {
    const bad: Record<string, string>[] = [{ OCTOPUS_SIM_READ_FIELDS: '2020' }, { OCTOPUS_SIM_BULK_KEYS: 'lots' }, { HYPERSTACK_SIM_STRICT_SEED_AUTH: 'yes' }];
    for (const env of bad) {
      const { code, output } = await run(env).exited;
      expect(code).toBe(1);
      expect(output).toContain(Object.keys(env)[0]);
    }
  });
});
