// The benchmark's child processes (the simulators and the gateways), their clean-up, and what /proc
// says about them: RSS, CPU time, bytes written.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RouteCounts, SimulatorsReady } from './simulators.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const children = new Set<ChildProcess>();

/** No child outlives the benchmark: normal exit, Ctrl-C, SIGTERM or a crash. */
export function installCleanup(): void {
  const killAll = (signal: NodeJS.Signals) => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  process.on('exit', () => killAll('SIGKILL'));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll('SIGTERM');
      setTimeout(() => process.exit(130), 2_000).unref();
    });
  }
}

function track<T extends ChildProcess>(child: T): T {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`. */
async function stop(child: ChildProcess, graceMs: number): Promise<void> {
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      if (exited()) return resolve();
      const timer = setTimeout(resolve, ms);
      child.once('exit', () => (clearTimeout(timer), resolve()));
    });
  if (exited()) return;
  child.kill('SIGTERM');
  await wait(graceMs);
  if (!exited()) child.kill('SIGKILL');
  await wait(2_000);
}

// ---- simulators -------------------------------------------------------------------------------

export interface Simulators {
  info: SimulatorsReady;
  pid: number;
  counts(): Promise<RouteCounts>;
  stop(): Promise<void>;
}

/** Both simulators in a child (bench/simulators.ts under tsx), seeded with `keys` keys per account. */
export async function startSimulators(keys: number): Promise<Simulators> {
  const child = track(
    fork(join(here, 'simulators.ts'), [String(keys)], {
      execArgv: ['--import', import.meta.resolve('tsx')],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const info = await new Promise<SimulatorsReady>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the simulators exited (code ${code}) before they were ready`)));
    child.once('message', (message) => resolve(message as SimulatorsReady));
  });
  let nextId = 0;
  const pending = new Map<number, (counts: RouteCounts) => void>();
  child.on('message', (message: { id?: number; counts?: RouteCounts }) => {
    if (message.id !== undefined) pending.get(message.id)?.(message.counts ?? {});
    if (message.id !== undefined) pending.delete(message.id);
  });
  return {
    info,
    pid: child.pid!,
    counts: () =>
      new Promise((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        child.send({ id });
      }),
    stop: () => stop(child, 5_000),
  };
}

// ---- gateways ---------------------------------------------------------------------------------

export interface Gateway {
  url: string;
  pid: number;
  /** Whether it is still running (an abort, e.g. "heap out of memory", ends it). */
  alive(): boolean;
  /** Its output (a file: a pipe read by this process would cost this process CPU). */
  log(): string;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  /** The node binary. */
  node: string;
  /** The checkout whose dist/main.js runs (its working directory). */
  dir: string;
  /** Another script to run instead of dir/dist/main.js. */
  main?: string;
  env: Record<string, string>;
  nodeFlags?: string[];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

let logs = 0;

/**
 * Starts `node dist/main.js` (or `main`) as production runs it, on a free port, and waits until it answers
 * HTTP. bench/watchdog.mjs is preloaded: if this process dies without stopping it, it stops itself.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const main = options.main ?? join(options.dir, 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} does not exist: run \`npm run build\` first (npm run bench does)`);
  const port = await freePort();
  const logFile = join(tmpdir(), `keygate-bench-${process.pid}-${logs++}.log`);
  const fd = openSync(logFile, 'w');
  const child = track(
    spawn(options.node, [...(options.nodeFlags ?? []), '--import', pathToFileURL(join(here, 'watchdog.mjs')).href, main], {
      cwd: options.dir,
      env: { ...process.env, ...options.env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', fd, fd],
    }),
  );
  closeSync(fd);
  const url = `http://127.0.0.1:${port}`;
  const alive = () => child.exitCode === null && child.signalCode === null;
  const log = () => readFileSync(logFile, 'utf8');
  for (const deadline = Date.now() + 30_000; ; ) {
    if (!alive()) throw new Error(`the gateway exited during start-up:\n${log().slice(-2_000)}`);
    if (Date.now() > deadline) throw new Error(`the gateway did not answer on ${url} within 30 s:\n${log().slice(-2_000)}`);
    try {
      await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url, pid: child.pid!, alive, log, stop: () => stop(child, 20_000) };
}

// ---- /proc ------------------------------------------------------------------------------------

function procField(pid: number, file: string, name: string): number {
  try {
    return Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN; // not Linux, or the process is gone
  }
}

/** Resident set size now and its peak over the process' life (VmHWM), bytes. */
export function readMemory(pid: number): { rss: number; peak: number } {
  return { rss: procField(pid, 'status', 'VmRSS') * 1024, peak: procField(pid, 'status', 'VmHWM') * 1024 };
}

/** Bytes the process has written so far (to sockets, mostly): what the simulators sent. */
export function readWrittenBytes(pid: number): number {
  return procField(pid, 'io', 'wchar');
}

/** CPU time (user + system) used so far, ms; USER_HZ is 100 on Linux. */
export function readCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** CPU time all processes of the machine have used so far, ms: to tell a busy machine. */
export function readMachineBusyMs(): number {
  try {
    const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    return (user! + nice! + system! + irq! + softirq! + steal!) * 10;
  } catch {
    return NaN;
  }
}
