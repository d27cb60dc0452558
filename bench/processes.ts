// The benchmark's child processes (simulators, gateway), their clean-up, and what /proc says about
// them (RSS, CPU time).
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RouteCounts, SimulatorsReady } from './shared.js';

const here = fileURLToPath(new URL('.', import.meta.url));

// ---- clean-up: no child outlives the benchmark ------------------------------------------------

const children = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Kills every child still running (synchronously usable from an 'exit' handler). */
export function killChildren(signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
}

let cleanupInstalled = false;
/** On any way out of the runner (normal exit, Ctrl-C, SIGTERM, a crash), children are stopped. */
export function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', () => killChildren('SIGKILL'));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the benchmark's processes`);
      killChildren('SIGTERM');
      setTimeout(() => process.exit(130), 2_000).unref();
    });
  }
  process.on('uncaughtException', (error) => {
    console.error('bench failed:', error);
    killChildren('SIGKILL');
    process.exit(1);
  });
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** SIGTERM, then SIGKILL after `graceMs`. */
async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (!(await waitExit(child, graceMs))) {
    child.kill('SIGKILL');
    await waitExit(child, 2_000);
  }
}

// ---- simulators -------------------------------------------------------------------------------

export interface Simulators {
  info: SimulatorsReady;
  pid: number;
  counts(): Promise<RouteCounts>;
  stop(): Promise<void>;
}

/** Starts bench/simulators.ts (under tsx) as a child with an IPC channel, and waits for its URLs. */
export async function startSimulators(): Promise<Simulators> {
  const child = track(
    fork(join(here, 'simulators.ts'), [], {
      execArgv: ['--import', import.meta.resolve('tsx')],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const info = await new Promise<SimulatorsReady>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the simulators did not start within 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`the simulators exited (code ${code}) before they were ready`)));
    child.on('message', (message: { type?: string }) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message as SimulatorsReady);
      }
    });
  });
  let nextId = 0;
  const pending = new Map<number, (counts: RouteCounts) => void>();
  child.on('message', (message: { type?: string; id?: number; counts?: RouteCounts }) => {
    if (message.type === 'counts' && message.id !== undefined) {
      pending.get(message.id)?.(message.counts ?? {});
      pending.delete(message.id);
    }
  });
  return {
    info,
    pid: child.pid!,
    counts: () =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, resolve);
        if (!child.connected) return reject(new Error('the simulators process is gone'));
        child.send({ type: 'counts', id });
      }),
    stop: () => stopChild(child, 5_000),
  };
}

// ---- gateway ----------------------------------------------------------------------------------

export interface GatewayProcess {
  url: string;
  pid: number;
  /** The last lines it printed (stdout and stderr), for error messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface GatewayStartOptions {
  /** Directory of the keygate checkout whose `dist/main.js` runs. */
  dir: string;
  env: Record<string, string>;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
}

/** A port that was free a moment ago (the gateway is then started on it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node dist/main.js` the way production does, on a port chosen here, and waits until it
 * answers HTTP. Readiness is taken from the port, not from what it prints, so a change of its log
 * format cannot break the benchmark. bench/watchdog.mjs is preloaded so the gateway stops if this
 * process dies without stopping it.
 */
export async function startGateway(options: GatewayStartOptions): Promise<GatewayProcess> {
  const main = join(options.dir, 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} does not exist: run \`npm run build\` first (npm run bench does)`);
  const port = await freePort();
  const env = { ...process.env, ...options.env, PORT: String(port), HOST: '127.0.0.1' };
  const child = track(
    spawn(
      process.execPath,
      [...(options.nodeFlags ?? []), '--import', pathToFileURL(join(here, 'watchdog.mjs')).href, main],
      { cwd: options.dir, env, stdio: ['ignore', 'pipe', 'pipe'] },
    ),
  );
  // Keep draining its output (a full pipe would block the gateway), remembering the last lines.
  const lines: string[] = [];
  const remember = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      lines.push(line);
      if (lines.length > 40) lines.shift();
    }
  };
  child.stdout!.on('data', remember);
  child.stderr!.on('data', remember);
  const output = () => lines.join('\n');
  const url = `http://127.0.0.1:${port}`;

  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`the gateway exited during start-up:\n${output()}`);
    if (Date.now() > deadline) {
      await stopChild(child, 2_000);
      throw new Error(`the gateway did not answer on ${url} within 30 s:\n${output()}`);
    }
    try {
      await fetch(`${url}/graphql`, { method: 'GET', signal: AbortSignal.timeout(1_000) });
      break; // any HTTP answer will do: it is listening
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url, pid: child.pid!, output, stop: () => stopChild(child, 20_000) };
}

// ---- /proc: memory and CPU of a process -------------------------------------------------------

export interface ProcMemory {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size over the process' life (VmHWM), bytes. */
  peak: number;
}

export function readMemory(pid: number): ProcMemory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    try {
      // Not Linux: ps reports RSS in KiB (no peak).
      const rss = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) * 1024;
      return { rss, peak: NaN };
    } catch {
      return undefined;
    }
  }
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU time (user + system) the process has used so far, in milliseconds; NaN where /proc is missing. */
export function readCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces, hence the last ')').
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / ticksPerSecond();
  } catch {
    return NaN;
  }
}

/** Samples a process' RSS every `intervalMs` until stopped. */
export class RssSampler {
  readonly samples: { t: number; rss: number }[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly started = performance.now();

  constructor(
    private readonly pid: number,
    intervalMs = 100,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    const memory = readMemory(this.pid);
    if (memory && Number.isFinite(memory.rss)) this.samples.push({ t: (performance.now() - this.started) / 1000, rss: memory.rss });
  }

  stop(): { peak: number; samples: { t: number; rss: number }[] } {
    clearInterval(this.timer);
    this.sample();
    return { peak: Math.max(...this.samples.map((s) => s.rss)), samples: this.samples };
  }
}

/** CPU time (ms) all processes of the machine have used so far, from /proc/stat; NaN elsewhere. */
export function readSystemBusyMs(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    // cpu  user nice system idle iowait irq softirq steal guest guest_nice
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
    return (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 1000) / ticksPerSecond();
  } catch {
    return NaN;
  }
}

/**
 * How busy the machine was with work that is not the benchmark's (other people's builds, tests,
 * servers): the machine's CPU time minus that of the benchmark's processes, as cores in use on
 * average. Anything much above zero means the figures of that run are disturbed.
 */
export class NoiseMeter {
  private readonly wall = performance.now();
  private readonly system = readSystemBusyMs();
  private readonly self = process.cpuUsage();
  private readonly children: number[];

  constructor(private readonly pids: number[]) {
    this.children = pids.map(readCpuMs);
  }

  /** Other processes' CPU, in cores (0.25 = a quarter of one core on average). */
  stop(): number {
    const seconds = (performance.now() - this.wall) / 1000;
    const system = readSystemBusyMs() - this.system;
    const selfUsage = process.cpuUsage(this.self);
    const self = (selfUsage.user + selfUsage.system) / 1000;
    const children = this.pids.reduce((sum, pid, i) => sum + (readCpuMs(pid) - this.children[i]!), 0);
    return Math.max(0, (system - self - children) / 1000 / seconds);
  }
}
