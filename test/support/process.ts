// Runs the real entry point (src/main.ts through tsx) as a child process, as `npm start` would.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { HyperstackSimulator, OctopusSimulator } from '../../src/simulators/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** The environment that points a gateway process at simulators, with their admin credentials. */
export function upstreamEnv(octopus: OctopusSimulator, hyperstack: HyperstackSimulator): Record<string, string> {
  return {
    OCTOPUS_URL: octopus.url,
    OCTOPUS_API_KEY: octopus.credentials['Users-1']!,
    HYPERSTACK_URL: hyperstack.url,
    HYPERSTACK_API_KEY: hyperstack.credentials[0]!,
    // The background inventory would add upstream calls at unknown moments to the counts tests read.
    INVENTORY_REFRESH_S: '0',
  };
}

/** Starts the gateway and resolves once it prints where it listens (no sleeping). */
export function startGatewayProcess(env: Record<string, string>, entry = 'src/main.ts'): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[\w.:[\]-]+)/.exec(output);
      if (match) {
        resolve({
          child,
          url: match[1]!,
          output: () => output,
          exited,
          stop: (signal = 'SIGTERM') => {
            child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`gateway exited (${code}) before listening:\n${output}`)));
  });
}

/** Runs the entry point to completion (for startup failures). */
export function runToExit(env: Record<string, string>, entry = 'src/main.ts'): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}
