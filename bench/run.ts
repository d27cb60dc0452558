// keygate load benchmark: `npm run bench` (see bench/README.md).
//
// Three processes: the simulators (bench/simulators.ts), the gateway (`node dist/main.js`, as in
// production) and this one, which drives the gateway with autocannon and, for the direct baseline,
// sends the same upstream requests straight to the simulators with undici. Every reference
// operation runs at each concurrency against both, so the gateway's cost comes out as a ratio.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, release, totalmem, type } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { mergeResults, runAutocannon, runClosedLoop, type LoadResult } from './load.js';
import { AMORTISED_ROUTES, DirectUpstreams, LIST_QUERY, NODES_QUERY, operations, type OpKey, type Operation } from './ops.js';
import {
  NoiseMeter,
  RssSampler,
  installCleanup,
  killChildren,
  readCpuMs,
  readMemory,
  startGateway,
  startSimulators,
  type GatewayProcess,
  type Simulators,
} from './processes.js';
import { formatSummary, summarizeProfile } from './profile-top.js';
import { evaluateTargets, renderMarkdown, type Accounting, type Machine, type Report, type RunResult, type Soak } from './report.js';
import type { RouteCounts } from './shared.js';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const repoDir = resolve(benchDir, '..');

// ---- the gateway's configuration under test ---------------------------------------------------

/**
 * The create mutations are rate limited (CREATE_RATE_LIMIT creates per CREATE_RATE_LIMIT_WINDOW_S,
 * default 20 per 600 s; 0 turns the limiter off). The create/delete benchmark (c) makes tens of
 * thousands of keys in a run, so the limit is raised to its maximum rather than switched off: the
 * limiter still runs on every create, and its cost is part of what is measured. Every other
 * protection stays at its default.
 * The name and range are those of src/config.ts (CREATE_RATE_LIMIT, 0…1,000,000).
 */
export const CREATE_RATE_LIMIT_ENV = 'CREATE_RATE_LIMIT';
export const CREATE_RATE_LIMIT_FOR_BENCH = '1000000';

/** Production settings; logs at warn so a line per request does not become what is measured. */
const GATEWAY_ENV: Record<string, string> = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
  DEMO: '0',
  [CREATE_RATE_LIMIT_ENV]: CREATE_RATE_LIMIT_FOR_BENCH,
};

/**
 * Headers of every gateway request. CSRF prevention wants a non-simple request: JSON content type
 * (and yoga's own header, to be safe). A client credential, when the gateway requires one, comes
 * from --header.
 */
const GATEWAY_HEADERS: Record<string, string> = {
  'content-type': 'application/json',
  accept: 'application/json',
  'x-graphql-yoga-csrf': '1',
};

// ---- options ----------------------------------------------------------------------------------

const HELP = `usage: npm run bench [-- options]    (or: npx tsx bench/run.ts [options] after npm run build)

  --duration=S           measured seconds per run (default 10)
  --warmup=S             unmeasured seconds before each run (default 2)
  --rounds=N             slices each run is cut into, alternating gateway and direct (default 5)
  --connections=1,20     concurrencies (default 1,20)
  --ops=a,b,c            operations: a list, b nodes, c create+delete (default all)
  --quiet-wait=S         before each run, wait up to S seconds for other processes to go quiet (default 30)
  --soak=S               soak seconds on (a) at concurrency 20, 0 for none (default 60)
  --count=N              operations per upstream-accounting batch (default 200)
  --quick                --duration=3 --warmup=1 --rounds=1 --soak=0
  --gateway-dir=DIR      keygate checkout whose dist/main.js runs (default this one; build it first)
  --compare=DIR[=LABEL]  also run another checkout's dist/main.js (repeatable): its slices alternate
                         with the main gateway's in every round, so an A/B comparison holds on a
                         noisy machine; reported in a table of its own
  --gateway-client=NAME  autocannon (default) or undici: what drives the gateway
  --gateway-env=K=V      extra environment for the gateway (repeatable)
  --compare-env=K=V      extra environment for the --compare gateways only (repeatable), e.g. to A/B
                         NODE_OPTIONS on one build: --compare=.=capped --compare-env=NODE_OPTIONS=…
  --header='name: value' extra header on every gateway request (repeatable), e.g. a client credential
  --profile              instead of the benchmark: run --profile-op at --profile-connections for
                         --duration against a gateway under node --cpu-prof, then print its top frames
  --profile-op=a         --profile-connections=20   --profile-interval=US (sampling, default 500)
  --label=TEXT           what is being measured, for the report (default: the checkout's commit)
  --out=DIR              where latest.json / latest.md go (default bench/results)
  --strict               exit 1 when a target fails
`;

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: process.env.BENCH_DURATION ?? '10' },
    warmup: { type: 'string', default: process.env.BENCH_WARMUP ?? '2' },
    connections: { type: 'string', default: '1,20' },
    ops: { type: 'string', default: 'a,b,c' },
    rounds: { type: 'string', default: '5' },
    'quiet-wait': { type: 'string', default: '30' },
    soak: { type: 'string', default: process.env.BENCH_SOAK ?? '60' },
    count: { type: 'string', default: '200' },
    quick: { type: 'boolean', default: false },
    'gateway-dir': { type: 'string', default: repoDir },
    compare: { type: 'string', multiple: true, default: [] },
    'gateway-client': { type: 'string', default: 'autocannon' },
    'gateway-env': { type: 'string', multiple: true, default: [] },
    'compare-env': { type: 'string', multiple: true, default: [] },
    header: { type: 'string', multiple: true, default: [] },
    profile: { type: 'boolean', default: false },
    'profile-op': { type: 'string', default: 'a' },
    'profile-connections': { type: 'string', default: '20' },
    'profile-interval': { type: 'string', default: '500' },
    label: { type: 'string' },
    out: { type: 'string', default: join(benchDir, 'results') },
    strict: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (opts.help) {
  console.log(HELP);
  process.exit(0);
}

function positiveNumber(name: string, raw: string, allowZero = false): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    console.error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got '${raw}'`);
    process.exit(2);
  }
  return value;
}

const settings = {
  duration: positiveNumber('duration', opts.quick ? '3' : opts.duration),
  warmup: positiveNumber('warmup', opts.quick ? '1' : opts.warmup, true),
  rounds: Math.round(positiveNumber('rounds', opts.quick ? '1' : opts.rounds)),
  quietWait: positiveNumber('quiet-wait', opts['quiet-wait'], true),
  connections: opts.connections.split(',').map((c) => positiveNumber('connections', c.trim())),
  ops: opts.ops.split(',').map((o) => o.trim()) as OpKey[],
  soak: positiveNumber('soak', opts.quick ? '0' : opts.soak, true),
  count: positiveNumber('count', opts.count),
  gatewayDir: resolve(opts['gateway-dir']),
  gatewayClient: opts['gateway-client'] as 'autocannon' | 'undici',
};
for (const op of settings.ops) {
  if (!['a', 'b', 'c'].includes(op)) {
    console.error(`--ops takes a, b and c; got '${op}'`);
    process.exit(2);
  }
}
if (!['autocannon', 'undici'].includes(settings.gatewayClient)) {
  console.error(`--gateway-client is autocannon or undici; got '${settings.gatewayClient}'`);
  process.exit(2);
}
function envPairs(option: string, pairs: string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((kv) => {
      const at = kv.indexOf('=');
      if (at <= 0) {
        console.error(`--${option} takes NAME=VALUE; got '${kv}'`);
        process.exit(2);
      }
      return [kv.slice(0, at), kv.slice(at + 1)];
    }),
  );
}
const extraEnv = envPairs('gateway-env', opts['gateway-env']);
/** Only for --compare gateways: A/B a runtime setting (NODE_OPTIONS=…) on the same build. */
const compareEnv = envPairs('compare-env', opts['compare-env']);
const headers: Record<string, string> = { ...GATEWAY_HEADERS };
for (const h of opts.header) {
  const at = h.indexOf(':');
  if (at <= 0) {
    console.error(`--header takes 'name: value'; got '${h}'`);
    process.exit(2);
  }
  headers[h.slice(0, at).trim().toLowerCase()] = h.slice(at + 1).trim();
}

// ---- helpers ----------------------------------------------------------------------------------

const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function machine(): Machine {
  let cpu = 'unknown CPU';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    /* not Linux */
  }
  let commit = `${settings.gatewayDir} (not a git checkout)`;
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: settings.gatewayDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    commit = git('rev-parse', '--short', 'HEAD') + (git('status', '--porcelain', '--', 'src') ? ' (src modified)' : '');
  } catch {
    /* not a git checkout */
  }
  return {
    cpu,
    cores: availableParallelism(),
    memoryGB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${type()} ${release()}`,
    commit: opts.label ? `${opts.label}, ${commit}` : commit,
  };
}

function diff(after: RouteCounts, before: RouteCounts): RouteCounts {
  const out: RouteCounts = {};
  for (const [route, n] of Object.entries(after)) {
    const d = n - (before[route] ?? 0);
    if (d !== 0 && !route.endsWith('(all)')) out[route] = d;
  }
  return out;
}

/** Removes what a run of `op` left behind, once the gateway's cut-off requests have landed. */
async function cleanup(sims: Simulators, op: Operation): Promise<void> {
  if (!op.cleanup) return;
  await settledCounts(sims);
  await op.cleanup();
}

/** The upstream requests counted by the simulators have stopped changing (cut-off requests landed). */
async function settledCounts(sims: Simulators): Promise<RouteCounts> {
  let previous = await sims.counts();
  for (let i = 0; i < 20; i++) {
    await sleep(50);
    const next = await sims.counts();
    if (JSON.stringify(next) === JSON.stringify(previous)) return next;
    previous = next;
  }
  return previous;
}

async function graphql(url: string, body: unknown): Promise<{ data?: Record<string, unknown> | null; errors?: { message: string }[] }> {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`gateway answered HTTP ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as { data?: Record<string, unknown> | null; errors?: { message: string }[] };
}

/** Checks the gateway answers each reference operation correctly, and picks the ids for (b). */
async function prepare(gatewayUrl: string): Promise<string[]> {
  const list = await graphql(gatewayUrl, { query: LIST_QUERY });
  if (list.errors?.length) throw new Error(`(a) failed: ${JSON.stringify(list.errors).slice(0, 500)}`);
  const nodes = (list.data?.apiKeys as { nodes: { id: string; provider: string }[] }).nodes;
  if (nodes.length !== 50) throw new Error(`(a) returned ${nodes.length} keys, expected 50`);
  const octopus = nodes.filter((n) => n.provider === 'OCTOPUS').map((n) => n.id);
  const hyperstack = nodes.filter((n) => n.provider === 'HYPERSTACK').map((n) => n.id);
  // 10 of each, spread over the list, interleaved.
  const ids = Array.from({ length: 10 }, (_, i) => [octopus[i * 2]!, hyperstack[i * 2 + 1]!]).flat();
  const found = await graphql(gatewayUrl, { query: NODES_QUERY, variables: { ids } });
  const got = found.data?.nodes as ({ id: string } | null)[] | undefined;
  if (found.errors?.length || !got || got.some((n, i) => n?.id !== ids[i])) {
    throw new Error(`(b) failed: ${JSON.stringify(found).slice(0, 500)}`);
  }
  return ids;
}

// ---- running an operation ---------------------------------------------------------------------

async function driveGateway(gateway: GatewayProcess, op: Operation, connections: number, run: { duration?: number; operations?: number }): Promise<LoadResult> {
  if (settings.gatewayClient === 'autocannon') {
    return runAutocannon({ url: `${gateway.url}/graphql`, headers, connections, steps: op.steps, ...run });
  }
  // The undici closed loop against the gateway: to check that the load generator is not what differs.
  const pool = new Pool(gateway.url, { connections, pipelining: 1 });
  try {
    return await runClosedLoop({
      connections,
      ...run,
      operation: async () => {
        const state: Record<string, unknown> = {};
        for (const step of op.steps) {
          const body = typeof step.body === 'string' ? step.body : step.body(state);
          if (body === undefined) return false;
          const response = await pool.request({ method: 'POST', path: '/graphql', headers, body });
          const text = await response.body.text();
          if (response.statusCode !== 200 || !step.check(text, state)) return false;
        }
        return true;
      },
    });
  } finally {
    await pool.close();
  }
}

function driveDirect(op: Operation, connections: number, run: { duration?: number; operations?: number }): Promise<LoadResult> {
  return runClosedLoop({ connections, ...run, operation: () => op.direct() });
}

/**
 * One operation at one concurrency, gateway and direct baseline alternating in `rounds` slices
 * (gateway, direct, gateway, direct, …), so a machine that gets slower or faster during the run
 * (other work, CPU boost, a noisy neighbour) affects both sides alike and the ratio holds.
 */
interface Candidate {
  label: string;
  gateway: GatewayProcess;
}

async function measure(
  gateway: GatewayProcess,
  candidates: Candidate[],
  sims: Simulators,
  op: Operation,
  connections: number,
): Promise<RunResult> {
  const { duration, warmup, rounds } = settings;
  const slice = duration / rounds;
  const pids = [gateway.pid, sims.pid, ...candidates.map((c) => c.gateway.pid)];
  await waitQuiet(pids);
  log(`  (${op.key}) ${op.name} at concurrency ${connections}: ${rounds} × ${slice.toFixed(1)} s each side…`);
  if (warmup > 0) {
    await driveGateway(gateway, op, connections, { duration: warmup });
    for (const c of candidates) await driveGateway(c.gateway, op, connections, { duration: warmup });
    await driveDirect(op, connections, { duration: warmup });
    await cleanup(sims, op);
  }
  const candidateRuns = candidates.map(() => ({ parts: [] as LoadResult[], cpu: 0, peakRss: 0 }));
  const gwParts: LoadResult[] = [];
  const directParts: LoadResult[] = [];
  let gwCpu = 0;
  let simCpuGw = 0;
  let simCpuDirect = 0;
  let upstream = 0;
  let peakRss = 0;
  let noiseSum = 0;
  for (let round = 0; round < rounds; round++) {
    const before = await settledCounts(sims);
    const cpu0 = readCpuMs(gateway.pid);
    const simCpu0 = readCpuMs(sims.pid);
    const sampler = new RssSampler(gateway.pid);
    const noise = new NoiseMeter(pids);
    gwParts.push(await driveGateway(gateway, op, connections, { duration: slice }));
    noiseSum += noise.stop();
    peakRss = Math.max(peakRss, sampler.stop().peak);
    gwCpu += readCpuMs(gateway.pid) - cpu0;
    simCpuGw += readCpuMs(sims.pid) - simCpu0;
    upstream += Object.values(diff(await settledCounts(sims), before)).reduce((sum, v) => sum + v, 0);
    await cleanup(sims, op);

    for (const [i, candidate] of candidates.entries()) {
      const run = candidateRuns[i]!;
      const cpu = readCpuMs(candidate.gateway.pid);
      const candidateSampler = new RssSampler(candidate.gateway.pid);
      run.parts.push(await driveGateway(candidate.gateway, op, connections, { duration: slice }));
      run.peakRss = Math.max(run.peakRss, candidateSampler.stop().peak);
      run.cpu += readCpuMs(candidate.gateway.pid) - cpu;
      await cleanup(sims, op);
    }

    const simCpu1 = readCpuMs(sims.pid);
    const directNoise = new NoiseMeter(pids);
    directParts.push(await driveDirect(op, connections, { duration: slice }));
    noiseSum += directNoise.stop();
    simCpuDirect += readCpuMs(sims.pid) - simCpu1;
    await cleanup(sims, op);
  }
  const gw = mergeResults(gwParts);
  const direct = mergeResults(directParts);
  const noise = noiseSum / (2 * rounds);
  const result: RunResult = {
    op: op.key,
    name: op.name,
    connections,
    gateway: {
      ...gw,
      cpuMsPerOp: gwCpu / gw.ops,
      simCpuMsPerOp: simCpuGw / gw.ops,
      peakRss,
      upstreamPerOp: upstream / (gw.ops + gw.errors),
    },
    direct: { ...direct, simCpuMsPerOp: simCpuDirect / direct.ops },
    otherCpu: noise,
    candidates: candidates.map((candidate, i) => {
      const run = candidateRuns[i]!;
      const merged = mergeResults(run.parts);
      return { label: candidate.label, ...merged, cpuMsPerOp: run.cpu / merged.ops, peakRss: run.peakRss };
    }),
  };
  log(
    `     gateway ${Math.round(gw.opsPerSec)} ops/s p50 ${gw.latency.p50.toFixed(2)} p99 ${gw.latency.p99.toFixed(2)} ms, ${result.gateway.cpuMsPerOp.toFixed(2)} ms CPU/op | ` +
      `direct ${Math.round(direct.opsPerSec)} ops/s p50 ${direct.latency.p50.toFixed(2)} p99 ${direct.latency.p99.toFixed(2)} ms | ` +
      `errors ${gw.errors}/${direct.errors}${noise > 0.1 ? ` | other processes used ${noise.toFixed(2)} cores: figures disturbed` : ''}`,
  );
  for (const c of result.candidates) {
    log(
      `     ${c.label}: ${Math.round(c.opsPerSec)} ops/s p50 ${c.latency.p50.toFixed(2)} p99 ${c.latency.p99.toFixed(2)} ms, ` +
        `${c.cpuMsPerOp.toFixed(2)} ms CPU/op, errors ${c.errors}`,
    );
  }
  return result;
}

/**
 * On a shared machine, waits (up to --quiet-wait seconds) until processes outside the benchmark
 * use less than a tenth of a core, so their work does not become part of the figures.
 */
async function waitQuiet(pids: number[]): Promise<void> {
  const deadline = performance.now() + settings.quietWait * 1000;
  let said = false;
  for (;;) {
    const meter = new NoiseMeter(pids);
    await sleep(1_000);
    const other = meter.stop();
    if (other < 0.1) return;
    if (performance.now() > deadline) {
      log(`     the machine is busy with other work (${other.toFixed(2)} cores); measuring anyway`);
      return;
    }
    if (!said) log(`     waiting for other work on the machine to settle (${other.toFixed(2)} cores in use)…`);
    said = true;
  }
}

/** Exactly `count` operations, then the simulators' counters say what each one cost upstream. */
async function account(gateway: GatewayProcess, sims: Simulators, op: Operation, connections: number): Promise<Accounting> {
  const operations = Math.max(connections, Math.round(settings.count / connections) * connections);
  const before = await settledCounts(sims);
  const result = await driveGateway(gateway, op, connections, { operations });
  const after = await settledCounts(sims);
  await cleanup(sims, op);
  const delta = diff(after, before);
  const perOp: RouteCounts = {};
  const amortised: RouteCounts = {};
  for (const [route, n] of Object.entries(delta)) {
    if (AMORTISED_ROUTES.includes(route)) amortised[route] = n;
    else perOp[route] = n / operations;
  }
  const routes = new Set([...Object.keys(perOp), ...Object.keys(op.minimum)]);
  const atMinimum =
    result.errors === 0 &&
    [...routes].every((r) => perOp[r] === op.minimum[r]) &&
    Object.values(amortised).every((n) => n <= 1);
  return { op: op.key, operations, connections, perOp, amortised, minimum: op.minimum, errors: result.errors, atMinimum };
}

async function soak(gateway: GatewayProcess, sims: Simulators, op: Operation, seconds: number, connections: number): Promise<Soak> {
  log(`  soak: (${op.key}) at concurrency ${connections} for ${seconds} s…`);
  await waitQuiet([gateway.pid, sims.pid]);
  const sampler = new RssSampler(gateway.pid);
  const noise = new NoiseMeter([gateway.pid, sims.pid]);
  const result = await driveGateway(gateway, op, connections, { duration: seconds });
  const otherCpu = noise.stop();
  const { samples } = sampler.stop();
  const last = samples.at(-1)?.t ?? seconds;
  const windowMax = (from: number, to: number) =>
    Math.max(...samples.filter((s) => s.t >= from * last && s.t <= to * last).map((s) => s.rss));
  const start = windowMax(0, 0.1);
  const end = windowMax(0.9, 1);
  return {
    seconds,
    connections,
    opsPerSec: result.opsPerSec,
    p99: result.latency.p99,
    errors: result.errors,
    start,
    middle: windowMax(0.45, 0.55),
    end,
    min: Math.min(...samples.map((s) => s.rss)),
    max: Math.max(...samples.map((s) => s.rss)),
    growth: (end - start) / start,
    otherCpu,
  };
}

// ---- main -------------------------------------------------------------------------------------

async function profile(sims: Simulators, direct: DirectUpstreams): Promise<void> {
  const profileDir = join(benchDir, 'profiles');
  mkdirSync(profileDir, { recursive: true });
  const opKey = opts['profile-op'] as OpKey;
  const connections = positiveNumber('profile-connections', opts['profile-connections']);
  const name = `gateway-${opKey}-c${connections}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`;
  const gateway = await startGateway({
    dir: settings.gatewayDir,
    env: { ...GATEWAY_ENV, ...gatewayUpstreamEnv(sims), ...extraEnv },
    nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}`, `--cpu-prof-interval=${Number(opts['profile-interval'])}`],
  });
  const nodeIds = await prepare(gateway.url);
  const op = operations({ direct, nodeIds })[opKey];
  if (!op) throw new Error(`--profile-op takes a, b or c; got '${opKey}'`);
  log(`profiling (${op.key}) ${op.name} at concurrency ${connections} for ${settings.duration} s (after ${settings.warmup} s warm-up)…`);
  if (settings.warmup > 0) await driveGateway(gateway, op, connections, { duration: settings.warmup });
  const result = await driveGateway(gateway, op, connections, { duration: settings.duration });
  await cleanup(sims, op);
  log(`  ${Math.round(result.opsPerSec)} ops/s under the profiler (p50 ${result.latency.p50.toFixed(2)} ms, ${result.errors} errors)`);
  await gateway.stop(); // the profile is written as the gateway exits
  const file = join(profileDir, name);
  console.log(formatSummary(summarizeProfile(file), { top: 30, inclusive: true }));
  console.log(`\nprofile: ${file} (open it in Chrome DevTools > Performance, or VS Code)`);
}

function gatewayUpstreamEnv(sims: Simulators): Record<string, string> {
  return {
    OCTOPUS_URL: sims.info.octopus.url,
    OCTOPUS_API_KEY: sims.info.octopus.apiKey,
    HYPERSTACK_URL: sims.info.hyperstack.url,
    HYPERSTACK_API_KEY: sims.info.hyperstack.apiKey,
  };
}

async function main(): Promise<void> {
  installCleanup();
  const info = machine();
  log(`keygate bench: ${info.cpu}, ${info.cores} cores, Node ${info.node}, gateway ${settings.gatewayDir} (${info.commit})`);
  const sims = await startSimulators();
  const direct = new DirectUpstreams(sims.info, Math.max(...settings.connections, 20));
  try {
    if (opts.profile) return await profile(sims, direct);

    const gateway = await startGateway({ dir: settings.gatewayDir, env: { ...GATEWAY_ENV, ...gatewayUpstreamEnv(sims), ...extraEnv } });
    log(`gateway pid ${gateway.pid} on ${gateway.url}; simulators pid ${sims.pid}`);
    const nodeIds = await prepare(gateway.url);
    const ops = operations({ direct, nodeIds });
    const candidates: Candidate[] = [];
    for (const spec of opts.compare) {
      const at = spec.indexOf('=');
      const dir = resolve(at > 0 ? spec.slice(0, at) : spec);
      const label = at > 0 ? spec.slice(at + 1) : dir;
      const candidate = await startGateway({ dir, env: { ...GATEWAY_ENV, ...gatewayUpstreamEnv(sims), ...extraEnv, ...compareEnv } });
      await prepare(candidate.url);
      candidates.push({ label, gateway: candidate });
      log(`candidate ${label}: pid ${candidate.pid} on ${candidate.url}`);
    }

    // Let both sides' JIT settle before anything is measured.
    log('warming up…');
    await driveGateway(gateway, ops.a, 20, { duration: Math.max(settings.warmup, 1) * 2 });
    for (const c of candidates) await driveGateway(c.gateway, ops.a, 20, { duration: Math.max(settings.warmup, 1) * 2 });
    await driveDirect(ops.a, 20, { duration: Math.max(settings.warmup, 1) * 2 });

    const runs: RunResult[] = [];
    for (const key of settings.ops) {
      for (const connections of settings.connections) runs.push(await measure(gateway, candidates, sims, ops[key], connections));
    }

    log('counting upstream requests per operation…');
    const accounting: Accounting[] = [];
    for (const key of settings.ops) accounting.push(await account(gateway, sims, ops[key], 20));

    const soakResult = settings.soak > 0 ? await soak(gateway, sims, ops.a, settings.soak, 20) : undefined;

    const memory = readMemory(gateway.pid);
    await gateway.stop();
    for (const c of candidates) await c.gateway.stop();

    const partial: Omit<Report, 'targets'> = {
      when: new Date().toISOString(),
      machine: info,
      settings: {
        duration: settings.duration,
        warmup: settings.warmup,
        rounds: settings.rounds,
        connections: settings.connections.join('/'),
        soak: settings.soak,
        client: settings.gatewayClient,
        ...(Object.keys(extraEnv).length > 0 ? { env: Object.keys(extraEnv).join('/') } : {}),
      },
      runs,
      accounting,
      soak: soakResult,
      gatewayPeakRss: memory?.peak ?? NaN,
    };
    const report: Report = { ...partial, targets: evaluateTargets(partial) };
    const markdown = renderMarkdown(report);
    mkdirSync(opts.out, { recursive: true });
    writeFileSync(join(opts.out, 'latest.json'), `${JSON.stringify(report, (key, value: unknown) => (key === 'samples' ? undefined : value), 2)}\n`);
    writeFileSync(join(opts.out, 'latest.md'), markdown);
    console.log(`\n${markdown}`);
    console.log(`written: ${join(opts.out, 'latest.json')}, ${join(opts.out, 'latest.md')}`);
    if (opts.strict && report.targets.some((t) => t.status === 'FAIL')) process.exitCode = 1;
  } finally {
    await direct.close();
    await sims.stop();
  }
}

main().catch((error: unknown) => {
  console.error('bench failed:', error instanceof Error ? error.message : error);
  killChildren('SIGTERM');
  process.exitCode = 1;
});
