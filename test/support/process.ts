// Runs the built gateway (dist/main.js, which test/support/build.ts builds once per test run) as a
// child process, as `npm start` does: no TypeScript compiler at every start.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { HyperstackSimulator, OctopusSimulator } from '../../src/simulators/index.js';
import { testClient } from './client.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = 'dist/main.js';

export interface GatewayProcess extends AsyncDisposable {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Resolves once the output (stdout and stderr) matches, e.g. a log line; rejects if the process exits first. */
  waitForOutput(pattern: RegExp): Promise<void>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** `await using`: kills the process if it is still running, and waits for it to be gone. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** The environment that points a gateway process at simulators, with their admin credentials. */
export function upstreamEnv(octopus: OctopusSimulator, hyperstack: HyperstackSimulator): Record<string, string> {
  return {
    OCTOPUS_URL: octopus.url,
    OCTOPUS_API_KEY: octopus.credentials['Users-1']!,
    HYPERSTACK_URL: hyperstack.url,
    HYPERSTACK_API_KEY: hyperstack.credentials[0]!,
  };
}

function spawnGateway(env: Record<string, string>, entry: string): ChildProcess {
  // A TypeScript entry still runs through tsx, for a caller that asks for one.
  const args = entry.endsWith('.ts') ? ['--import', 'tsx', entry] : [entry];
  return spawn(process.execPath, args, {
    cwd: root,
    // The background inventory would add upstream calls at unknown moments: off unless a test asks.
    // Its own store, unless a test names one: the default file (./data/keygate.sqlite) would carry
    // rotations and events from one run, or a local `npm start`, into the next.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', INVENTORY_REFRESH_S: '0', DATABASE_URL: 'sqlite::memory:', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Starts the gateway and resolves once it prints where it listens (no sleeping). */
export function startGatewayProcess(env: Record<string, string>, entry = ENTRY): Promise<GatewayProcess> {
  const child = spawnGateway(env, entry);
  let output = '';
  const watchers = new Set<{ pattern: RegExp; resolve: () => void; reject: (error: Error) => void }>();
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      for (const watcher of watchers) watcher.reject(new Error(`gateway exited (${code}) before printing ${watcher.pattern}:\n${output}`));
      watchers.clear();
      resolve(code);
    }),
  );
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    for (const watcher of watchers) {
      if (watcher.pattern.test(output)) {
        watchers.delete(watcher);
        watcher.resolve();
      }
    }
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const running = () => child.exitCode === null && child.signalCode === null;
  const waitForOutput = (pattern: RegExp) => {
    if (pattern.test(output)) return Promise.resolve();
    if (!running()) return Promise.reject(new Error(`gateway exited before printing ${pattern}:\n${output}`));
    return new Promise<void>((resolve, reject) => watchers.add({ pattern, resolve, reject }));
  };

  return waitForOutput(/listening on http:\/\/[\w.:[\]-]+/).then(() => ({
    child,
    url: /listening on (http:\/\/[\w.:[\]-]+)/.exec(output)![1]!,
    output: () => output,
    waitForOutput,
    exited,
    stop: (signal = 'SIGTERM') => {
      if (running()) child.kill(signal);
      return exited;
    },
    [Symbol.asyncDispose]: async () => {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
  }));
}

/**
 * Whether a new connection to the gateway is refused (after SIGTERM it stops listening). Probes
 * /healthz, which needs no upstream, on a connection of its own.
 */
export async function refusesConnections(url: string): Promise<boolean> {
  await using probe = testClient(url, { connections: 1 });
  return probe.fetch('/healthz').then(
    () => false,
    () => true,
  );
}

/** Runs the entry point to completion (for startup failures). */
export function runToExit(env: Record<string, string>, entry = ENTRY): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawnGateway(env, entry);
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}
