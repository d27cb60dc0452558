// keygate benchmark: `npm run bench` (bench/README.md says what each figure means and why).
//
// Three kinds of process: the simulators (bench/simulators.ts, seeded per size), the gateways
// (`node dist/main.js` as production runs it, one per row so each row's RSS is its own) and this
// one, which drives them and, for the baseline, calls the simulators itself.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { GraphqlClient, closedLoop, merge, type LoadResult } from './load.js';
import { installCleanup, readCpuMs, readMachineBusyMs, readMemory, readWrittenBytes, startGateway, startSimulators, type Gateway, type Simulators } from './processes.js';
import { FLOOR_LABEL, HIVE_LABEL, markdown, targets, type MemoryResult, type PressureResult, type Report, type ScaleOp, type ScaleRow, type ThroughputRun } from './report.js';
import type { RouteCounts, SimulatorsReady } from './simulators.js';

const benchDir = fileURLToPath(new URL('.', import.meta.url));

const HELP = `usage: npm run bench [-- options]      (npx tsx bench/run.ts [options] after npm run build)

  --quick               a smoke run: short slices, one round (about 5 minutes instead of 15)
  --sections=LIST       scale,throughput,pressure (default all)
  --node=LIST           Node major versions the gateway runs on (default 20,24; others via npx node@N)
  --sizes=LIST          keys per account in the scale section (default 10,1000,10000,100000)
  --seconds=S           throughput: measured seconds per side and concurrency (default 10)
  --rounds=N            throughput: slices per side, alternating (default 5)
  --compare=DIR=LABEL   also run another checkout's dist/main.js in every row and round (A/B)
  --gateway-env=K=V     extra environment for keygate and the --compare gateways (repeatable)
  --compare-env=K=V     extra environment for the --compare gateways only (A/B a setting on one build)
  --hive                throughput: also Hive Gateway over the providers' OpenAPI documents (bench/hive,
                        built by npm run bench:hive; needs ../shared beside the checkout)
  --profile             instead: a CPU profile of the gateway under the list at c=20 (bench/profiles/)
  --out=DIR             where latest.md and latest.json go (default bench/results)
  --strict              exit 1 when a target fails
`;

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    sections: { type: 'string', default: 'scale,throughput,pressure' },
    node: { type: 'string', default: '20,24' },
    sizes: { type: 'string', default: '10,1000,10000,100000' },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    'gateway-dir': { type: 'string', default: resolve(benchDir, '..') },
    compare: { type: 'string', multiple: true, default: [] },
    'gateway-env': { type: 'string', multiple: true, default: [] },
    'compare-env': { type: 'string', multiple: true, default: [] },
    hive: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    out: { type: 'string', default: join(benchDir, 'results') },
    strict: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log(HELP);
  process.exit(0);
}

const list = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);
const pairs = (items: string[]) => Object.fromEntries(items.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const settings = {
  sections: new Set(list(opts.sections)),
  sizes: list(opts.sizes).map(Number),
  seconds: Number(opts.seconds ?? (opts.quick ? 3 : 10)),
  rounds: Number(opts.rounds ?? (opts.quick ? 1 : 5)),
  warmup: opts.quick ? 1 : 3,
  /** measured seconds of each first20/count row */
  rowSeconds: opts.quick ? 1 : 3,
  pressureRequests: opts.quick ? 40 : 100,
};

// ---- what runs --------------------------------------------------------------------------------

const CLIENT_TOKEN = 'bench-client-token-0123456789abcdef';
/** Production settings, with a client token required: every protection on. */
const BASE_ENV: Record<string, string> = { NODE_ENV: 'production', DEMO: '0', LOG_LEVEL: 'info', GATEWAY_TOKENS: `bench:${CLIENT_TOKEN}` };
/** Both cross-request savers off: what is measured is the engine, not the cache. */
const ENGINE_ONLY: Record<string, string> = { UPSTREAM_DEDUPE: '0', LIST_CACHE_TTL_MS: '0' };
/**
 * The background inventory reads every configured account's whole list at start-up and every 5
 * minutes. The scale and pressure rows turn it off so what they count is the operation's alone
 * (and because, with the cache off, its paging would read the whole list once per page).
 */
const NO_INVENTORY: Record<string, string> = { INVENTORY_REFRESH_S: '0' };
const CACHE_TTL_MS = 5_000; // LIST_CACHE_TTL_MS's default
const HEADERS = { 'content-type': 'application/json', 'x-graphql-yoga-csrf': '1', authorization: `Bearer ${CLIENT_TOKEN}` };

interface Candidate {
  label: string;
  dir: string;
  env: Record<string, string>;
  /** the script to run, when not the checkout's dist/main.js */
  main?: string;
  /** another gateway's schema: its own list operation (given the Octopus user id) and how many keys it returns */
  list?: { query: string; keys: (data: unknown) => number };
}
const MAIN = 'keygate';
const candidates: Candidate[] = [
  { label: MAIN, dir: resolve(opts['gateway-dir']), env: pairs(opts['gateway-env']) },
  ...opts.compare.map((spec) => {
    const [dir, label] = spec.includes('=') ? [spec.slice(0, spec.indexOf('=')), spec.slice(spec.indexOf('=') + 1)] : [spec, spec];
    return { label, dir: resolve(dir), env: { ...pairs(opts['gateway-env']), ...pairs(opts['compare-env']) } };
  }),
];
/** A plain server doing the list's work without GraphQL (bench/floor.mjs): the throughput section's reference. */
const FLOOR: Candidate = { label: FLOOR_LABEL, dir: benchDir, main: join(benchDir, 'floor.mjs'), env: {} };
/**
 * Hive Gateway serving GraphQL Mesh's composition of the two OpenAPI documents (bench/hive): the
 * generic gateway issue 10 measures keygate against. Its list is the same two upstream requests,
 * side by side (no merge, order or paging): bench/hive/list.graphql.
 */
function hive(): Candidate {
  const dir = join(benchDir, 'hive');
  if (!existsSync(join(dir, 'build', 'supergraph.graphql'))) throw new Error('--hive: bench/hive is not built: run `npm run bench:hive` (or `npm --prefix bench/hive ci && npm --prefix bench/hive run build`)');
  type HiveList = { apiKeys: { Items: unknown[] }; hyperstackKeys: { api_keys: unknown[] } };
  return {
    label: HIVE_LABEL,
    dir,
    main: join(dir, 'main.js'),
    // At Hive's defaults: not the semi-space flag the bench gives keygate on Node 24.
    env: { NODE_OPTIONS: '' },
    // A failed upstream call is no GraphQL error here: Hyperstack's list is a union with its error
    // model, which answers `{}`. So every answer is counted, not only checked for "errors".
    list: {
      query: readFileSync(join(dir, 'list.graphql'), 'utf8'),
      keys: (data) => ((data as Partial<HiveList>).apiKeys?.Items?.length ?? 0) + ((data as Partial<HiveList>).hyperstackKeys?.api_keys?.length ?? 0),
    },
  };
}
const throughputCandidates = () => [...candidates, FLOOR, ...(opts.hive ? [hive()] : [])];

interface NodeRuntime {
  version: string;
  bin: string;
}
/** The running Node, or another major version from the npm registry's `node` package (npx). */
function nodeRuntime(major: string): NodeRuntime {
  const bin = process.versions.node.split('.')[0] === major ? process.execPath : execFileSync('npx', ['-y', `node@${major}`, '-p', 'process.execPath'], { encoding: 'utf8' }).trim();
  return { bin, version: execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim() };
}

const upstreamEnv = (sims: SimulatorsReady) => ({
  OCTOPUS_URL: sims.octopus.url,
  OCTOPUS_API_KEY: sims.octopus.apiKey,
  HYPERSTACK_URL: sims.hyperstack.url,
  HYPERSTACK_API_KEY: sims.hyperstack.apiKey,
});

/**
 * Node 22 and later let the young generation grow to 64 MB or more (Node 20: 32 MB), most of it
 * resident under load; a semi-space of 16 MB, Node 20's, takes 80–100 MB off the peak at no CPU cost
 * the bench can see (bench/README.md). V8 reads it only at start-up, so it is a command-line flag,
 * set where the process is started (NODE_OPTIONS accepts it); the bench starts Node 24 with it.
 */
const nodeOptions = (node: NodeRuntime) => (Number(node.version.slice(1).split('.')[0]) >= 22 ? '--max-semi-space-size=16' : '');

function gatewayEnv(node: NodeRuntime, candidate: Candidate, env: Record<string, string>): Record<string, string> {
  return { ...BASE_ENV, NODE_OPTIONS: nodeOptions(node), ...env, ...candidate.env };
}

function gateway(node: NodeRuntime, candidate: Candidate, sims: Simulators, env: Record<string, string>, nodeFlags: string[] = []): Promise<Gateway> {
  return startGateway({ node: node.bin, dir: candidate.dir, main: candidate.main, env: { ...gatewayEnv(node, candidate, env), ...upstreamEnv(sims.info) }, nodeFlags });
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- the operations ---------------------------------------------------------------------------

const FIELDS = 'id provider providerKeyId name description createdAt expiresAt keyHint';
const LIST = `query List { apiKeys(first: 50) { totalCount pageInfo { hasNextPage endCursor } nodes { ${FIELDS} } } }`;
const FIRST20 = `query First20 { apiKeys(first: 20) { totalCount pageInfo { hasNextPage endCursor } nodes { ${FIELDS} } } }`;
const FIRST20_OCTOPUS = `query First20Octopus { apiKeys(first: 20, filter: { providers: [OCTOPUS] }) { totalCount pageInfo { hasNextPage endCursor } nodes { ${FIELDS} } } }`;
const COUNT = 'query Count { apiKeys { totalCount } }';
const WALK = `query Walk($after: String) { apiKeys(first: 500, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { ${FIELDS} } } }`;
const WHOLE = 'query Whole { apiKeys(first: 20, orderBy: { field: NAME, direction: ASC }) { totalCount nodes { id name } } }';

interface Connection {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  nodes: { id: string }[];
}

/** One operation of the scale section; it checks the answer and notes what went wrong in `problems`. */
type ScaleOperation = (client: GraphqlClient, expected: number, problems: Set<string>) => Promise<{ ok: boolean; pages: number }>;

async function page(client: GraphqlClient, query: string, problems: Set<string>, after?: string | null): Promise<Connection | undefined> {
  const answer = await client.query<{ apiKeys: Connection }>(query, after ? { after } : undefined);
  for (const error of answer.errors ?? []) problems.add(error.extensions?.code ?? error.message);
  return answer.errors ? undefined : answer.data?.apiKeys;
}

const scaleOps: Record<ScaleOp, ScaleOperation> = {
  async first20(client, expected, problems) {
    const c = await page(client, FIRST20, problems);
    const ok = c !== undefined && c.totalCount === expected && c.nodes.length === Math.min(20, expected);
    if (c && !ok) problems.add(`totalCount ${c.totalCount}, ${c.nodes.length} nodes`);
    return { ok, pages: 1 };
  },
  /** The same page of one provider: what Octopus' paging costs without Hyperstack's unpaged list. */
  async first20octopus(client, _expected, problems) {
    const c = await page(client, FIRST20_OCTOPUS, problems);
    const ok = c !== undefined && c.nodes.length === Math.min(20, c.totalCount);
    if (c && !ok) problems.add(`${c.nodes.length} nodes`);
    return { ok, pages: 1 };
  },
  async count(client, expected, problems) {
    const c = await page(client, COUNT, problems);
    if (c && c.totalCount !== expected) problems.add(`totalCount ${c.totalCount}`);
    return { ok: c?.totalCount === expected, pages: 1 };
  },
  /** Every key once: pages of 500 following endCursor; a key seen twice or missed is a problem. */
  async walk(client, expected, problems) {
    const seen = new Set<string>();
    let pages = 0;
    for (let after: string | null = null; ; ) {
      const c: Connection | undefined = await page(client, WALK, problems, after);
      if (!c) return { ok: false, pages };
      pages++;
      for (const node of c.nodes) {
        if (seen.has(node.id)) problems.add(`key ${node.id} twice`);
        seen.add(node.id);
      }
      if (!c.pageInfo.hasNextPage) break;
      after = c.pageInfo.endCursor;
    }
    if (seen.size !== expected) problems.add(`walked ${seen.size} of ${expected} keys`);
    return { ok: seen.size === expected, pages };
  },
};

// ---- scale ------------------------------------------------------------------------------------

interface Usage {
  cpuMs: number;
  bytes: number;
  counts: RouteCounts;
  at: number;
}
async function usage(gw: Gateway, sims: Simulators): Promise<Usage> {
  return { cpuMs: readCpuMs(gw.pid), bytes: readWrittenBytes(sims.pid), counts: await sims.counts(), at: performance.now() };
}
function spent(before: Usage, after: Usage) {
  const calls: RouteCounts = {};
  for (const [route, n] of Object.entries(after.counts)) if (n > (before.counts[route] ?? 0)) calls[route] = n - (before.counts[route] ?? 0);
  // The simulators' answer to the counts request is written too (a few hundred bytes): not upstream traffic.
  const ipc = JSON.stringify(after.counts).length + 30;
  return { calls, bytes: Math.max(0, after.bytes - before.bytes - ipc), cpuMs: after.cpuMs - before.cpuMs, ms: after.at - before.at };
}
const sum = (counts: RouteCounts) => Object.values(counts).reduce((a, b) => a + b, 0);

async function scaleRow(node: NodeRuntime, candidate: Candidate, sims: Simulators, op: ScaleOp, cache: boolean): Promise<ScaleRow> {
  const { octopus, hyperstack } = sims.info;
  const expected = octopus.keys + hyperstack.keys;
  const gw = await gateway(node, candidate, sims, { ...NO_INVENTORY, ...(cache ? {} : ENGINE_ONLY) });
  const client = new GraphqlClient(gw.url, HEADERS, 1);
  const problems = new Set<string>();
  const run = scaleOps[op];
  try {
    const u0 = await usage(gw, sims);
    const first = await run(client, expected, problems);
    const cold = spent(u0, await usage(gw, sims));
    let measured: ReturnType<typeof spent>;
    let ops = 1;
    if (op === 'walk' && expected > 50_000) {
      measured = cold; // long enough that warming the code up first changes nothing measurable
    } else if (op === 'walk') {
      // A second walk with warm code gives the CPU figure; with the cache on, once the first walk's lists expired.
      if (cache) await sleep(CACHE_TTL_MS + 500);
      const u1 = await usage(gw, sims);
      await run(client, expected, problems);
      measured = spent(u1, await usage(gw, sims));
    } else {
      await closedLoop({ connections: 1, seconds: settings.warmup, operation: async () => (await run(client, expected, problems)).ok });
      const u1 = await usage(gw, sims);
      const result = await closedLoop({ connections: 1, seconds: settings.rowSeconds, operation: async () => (await run(client, expected, problems)).ok });
      measured = spent(u1, await usage(gw, sims));
      ops = result.ops + result.errors;
    }
    return {
      node: node.version,
      gateway: candidate.label,
      octopusKeys: octopus.keys,
      hyperstackKeys: hyperstack.keys,
      op,
      cache,
      coldCalls: cold.calls,
      callsPerOp: sum(measured.calls) / ops,
      bytesPerOp: measured.bytes / ops,
      cpuMsPerOp: measured.cpuMs / ops,
      wallMsPerOp: measured.ms / ops,
      ops,
      pages: op === 'walk' ? first.pages : undefined,
      peakRss: readMemory(gw.pid).peak,
      problems: [...problems, ...(gw.alive() ? [] : [`the gateway exited: ${gw.log().trim().split('\n').slice(-3).join(' ')}`])],
    };
  } finally {
    await client.close();
    await gw.stop();
  }
}

async function scale(nodes: NodeRuntime[], sims: Simulators): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  const plan: [ScaleOp, boolean][] = [
    ['first20', false],
    ['first20', true],
    ['first20octopus', false],
    ['count', false],
    // A walk of 100,000 keys takes minutes: not in a --quick run.
    ...(sims.info.octopus.keys <= 10_000 || !opts.quick ? [['walk', true] as [ScaleOp, boolean]] : []),
    // Without the cache every page of a walk reads the whole list again: quadratic, so not at 100,000.
    ...(sims.info.octopus.keys <= 10_000 ? [['walk', false] as [ScaleOp, boolean]] : []),
  ];
  for (const node of nodes) {
    for (const [op, cache] of plan) {
      for (const candidate of candidates) {
        const row = await scaleRow(node, candidate, sims, op, cache);
        log(
          `  ${node.version} ${candidate.label} ${row.octopusKeys}+${row.hyperstackKeys} ${op} cache ${cache ? 'on' : 'off'}: ` +
            `first ${sum(row.coldCalls)} calls, ${row.callsPerOp.toFixed(2)} calls/op, ${(row.bytesPerOp / 1000).toFixed(1)} kB/op, ` +
            `${row.cpuMsPerOp.toFixed(2)} ms CPU/op, peak ${(row.peakRss / 1e6).toFixed(0)} MB ${row.problems.join('; ')}`,
        );
        rows.push(row);
      }
    }
  }
  return rows;
}

// ---- throughput and memory ---------------------------------------------------------------------

/** The baseline: the two upstream requests the gateway makes for LIST, sent straight to the simulators. */
class Direct {
  private readonly octopus: Pool;
  private readonly hyperstack: Pool;
  private readonly octopusPath: string;
  private readonly hyperstackPath: string;

  constructor(private readonly sims: SimulatorsReady) {
    this.octopus = new Pool(sims.octopus.url, { connections: 20 });
    this.hyperstack = new Pool(new URL(sims.hyperstack.url).origin, { connections: 20 });
    // first: 50 reads one more key than it shows (services/api-keys.ts: a tie across the page boundary)
    this.octopusPath = `/api/users/${sims.octopus.userId}/apikeys?skip=0&take=51`;
    this.hyperstackPath = `${new URL(sims.hyperstack.url).pathname}/api-key`;
  }

  private async get(pool: Pool, path: string, headers: Record<string, string>): Promise<boolean> {
    const response = await pool.request({ method: 'GET', path, headers });
    const body = JSON.parse(await response.body.text()) as unknown;
    return response.statusCode === 200 && typeof body === 'object';
  }

  async list(): Promise<boolean> {
    const [a, b] = await Promise.all([
      this.get(this.octopus, this.octopusPath, { accept: 'application/json', 'x-octopus-apikey': this.sims.octopus.apiKey }),
      this.get(this.hyperstack, this.hyperstackPath, { accept: 'application/json', api_key: this.sims.hyperstack.apiKey }),
    ]);
    return a && b;
  }

  close = () => Promise.all([this.octopus.close(), this.hyperstack.close()]);
}

async function throughput(nodes: NodeRuntime[], sims: Simulators): Promise<{ runs: ThroughputRun[]; memory: MemoryResult[] }> {
  const runs: ThroughputRun[] = [];
  const memory: MemoryResult[] = [];
  const direct = new Direct(sims.info);
  const listBody = (candidate: Candidate) =>
    JSON.stringify(candidate.list ? { query: candidate.list.query, variables: { userId: sims.info.octopus.userId } } : { query: LIST });
  const listKeys = (candidate: Candidate, data: unknown) => (candidate.list ? candidate.list.keys(data) : (data as { apiKeys: Connection }).apiKeys.nodes.length);
  for (const node of nodes) {
    const gws: { candidate: Candidate; gw: Gateway; client: GraphqlClient; memory: MemoryResult }[] = [];
    try {
      for (const candidate of throughputCandidates()) {
        const gw = await gateway(node, candidate, sims, ENGINE_ONLY);
        await sleep(1_000);
        const atRest = readMemory(gw.pid).rss;
        const page = await fetch(`${gw.url}/graphql`, { headers: { accept: 'text/html' } });
        if (!page.ok || !(await page.text()).includes('<html')) throw new Error(`GraphiQL: HTTP ${page.status}`);
        const client = new GraphqlClient(gw.url, HEADERS, 20);
        const check = JSON.parse((await client.post(listBody(candidate))).text) as { data?: unknown; errors?: unknown };
        if (check.errors || !check.data || listKeys(candidate, check.data) !== 50) throw new Error(`${candidate.label}: the list failed: ${JSON.stringify(check).slice(0, 300)}`);
        const flags = gatewayEnv(node, candidate, ENGINE_ONLY).NODE_OPTIONS ?? '';
        const afterGraphiql = readMemory(gw.pid).rss;
        await sleep(1_000); // what the first upstream connection sets off in the background (V8 compiling undici's llhttp) settles
        const beforeLoad = readMemory(gw.pid).peak;
        gws.push({ candidate, gw, client, memory: { node: node.version, gateway: candidate.label, flags, atRest, afterGraphiql, beforeLoad, peak: NaN } });
      }
      const list = (candidate: Candidate, client: GraphqlClient) => {
        const body = listBody(candidate);
        return async () => {
          const answer = await client.post(body);
          if (answer.status !== 200 || !answer.text.startsWith('{"data":{"apiKeys":') || answer.text.includes('"errors"')) return false;
          return !candidate.list || listKeys(candidate, (JSON.parse(answer.text) as { data: unknown }).data) === 50;
        };
      };
      for (const connections of [1, 20]) {
        log(`  ${node.version} list at c=${connections}: ${settings.rounds} × ${(settings.seconds / settings.rounds).toFixed(1)} s per side…`);
        for (const { candidate, client } of gws) await closedLoop({ connections, seconds: settings.warmup, operation: list(candidate, client) });
        await closedLoop({ connections, seconds: settings.warmup, operation: () => direct.list() });
        const parts = gws.map(() => ({ loads: [] as LoadResult[], cpuMs: 0 }));
        const directParts: LoadResult[] = [];
        const meter = new NoiseMeter([sims.pid, ...gws.map((g) => g.gw.pid)]);
        for (let round = 0; round < settings.rounds; round++) {
          for (const [i, { candidate, gw, client }] of gws.entries()) {
            const cpu = readCpuMs(gw.pid);
            parts[i]!.loads.push(await closedLoop({ connections, seconds: settings.seconds / settings.rounds, operation: list(candidate, client) }));
            parts[i]!.cpuMs += readCpuMs(gw.pid) - cpu;
          }
          directParts.push(await closedLoop({ connections, seconds: settings.seconds / settings.rounds, operation: () => direct.list() }));
        }
        const d = merge(directParts);
        const run: ThroughputRun = {
          node: node.version,
          connections,
          gateways: gws.map(({ candidate }, i) => {
            const m = merge(parts[i]!.loads);
            return { label: candidate.label, opsPerSec: m.opsPerSec, p50: m.p50, p99: m.p99, errors: m.errors, cpuMsPerOp: parts[i]!.cpuMs / m.ops };
          }),
          direct: { label: 'direct', opsPerSec: d.opsPerSec, p50: d.p50, p99: d.p99, errors: d.errors },
          otherCpu: meter.stop(),
        };
        for (const g of run.gateways) log(`     ${g.label}: ${g.opsPerSec.toFixed(0)} ops/s, p50 ${g.p50.toFixed(2)} ms, ${g.cpuMsPerOp!.toFixed(3)} ms CPU/op, ${g.errors} errors`);
        log(`     direct: ${d.opsPerSec.toFixed(0)} ops/s, p50 ${d.p50.toFixed(2)} ms; other processes used ${run.otherCpu.toFixed(2)} cores`);
        runs.push(run);
      }
      for (const g of gws) memory.push({ ...g.memory, peak: readMemory(g.gw.pid).peak });
    } finally {
      for (const g of gws) {
        await g.client.close();
        await g.gw.stop();
      }
    }
  }
  await direct.close();
  return { runs, memory };
}

/**
 * How busy the machine was with work that is not the benchmark's, in cores: the machine's CPU time
 * minus that of the benchmark's processes. Above ~0.1 the figures of a run are disturbed; alternating
 * slices keep comparisons within a run fair, not the absolute figures.
 */
class NoiseMeter {
  private readonly t0 = performance.now();
  private readonly busy0 = readMachineBusyMs();
  private readonly own0: number;
  constructor(private readonly pids: number[]) {
    this.own0 = this.own();
  }
  private own(): number {
    const self = process.cpuUsage();
    return this.pids.reduce((sum, pid) => sum + readCpuMs(pid), (self.user + self.system) / 1000);
  }
  stop(): number {
    return Math.max(0, (readMachineBusyMs() - this.busy0 - (this.own() - this.own0)) / (performance.now() - this.t0));
  }
}

// ---- memory pressure --------------------------------------------------------------------------

/** Many whole lists at once under a small old space: answers or coded refusals, never an abort. */
async function pressure(nodes: NodeRuntime[], sims: Simulators): Promise<PressureResult[]> {
  const results: PressureResult[] = [];
  for (const node of nodes) {
    for (const candidate of candidates) {
      const gw = await gateway(node, candidate, sims, { ...ENGINE_ONLY, ...NO_INVENTORY }, ['--max-old-space-size=128']);
      const client = new GraphqlClient(gw.url, HEADERS, 20);
      const outcomes: Record<string, number> = {};
      const body = JSON.stringify({ query: WHOLE });
      // Sampled while it runs: after an abort there is no /proc entry left to read.
      let peakRss = NaN;
      const sampler = setInterval(() => {
        const peak = readMemory(gw.pid).peak;
        if (Number.isFinite(peak)) peakRss = peak;
      }, 100);
      const t0 = performance.now();
      await closedLoop({
        connections: 20,
        count: settings.pressureRequests,
        operation: async () => {
          let outcome: string;
          try {
            const answer = await client.post(body);
            const codes = [...new Set((JSON.parse(answer.text) as { errors?: { extensions?: { code?: string } }[] }).errors?.map((e) => e.extensions?.code) ?? [])];
            const retry = answer.headers['retry-after'];
            outcome = `${codes.length ? codes.join('+') : 'ok'} (HTTP ${answer.status}${retry ? `, Retry-After ${String(retry)}` : ''})`;
          } catch {
            outcome = 'no answer (connection refused or reset)';
          }
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
          return true;
        },
      });
      const seconds = (performance.now() - t0) / 1000;
      clearInterval(sampler);
      await client.close();
      // Alive: still running and still answering.
      const alive = gw.alive() && (await fetch(`${gw.url}/healthz`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.ok, () => false));
      const result = { node: node.version, gateway: candidate.label, requests: settings.pressureRequests, outcomes, peakRss, alive, seconds };
      if (!alive) log(`     the gateway aborted:\n${gw.log().split('\n').filter((l) => /FATAL|heap out of memory|Mark-Compact|Error/.test(l)).slice(-3).join('\n').slice(0, 1_000)}`);
      log(`  ${node.version} ${candidate.label} pressure: ${JSON.stringify(outcomes)}, peak ${(result.peakRss / 1e6).toFixed(0)} MB, ${result.alive ? 'alive' : 'ABORTED'}`);
      results.push(result);
      await gw.stop();
    }
  }
  return results;
}

// ---- main -------------------------------------------------------------------------------------

async function profile(): Promise<void> {
  const dir = join(benchDir, 'profiles');
  mkdirSync(dir, { recursive: true });
  const sims = await startSimulators(25);
  const gw = await gateway(nodeRuntime(process.versions.node.split('.')[0]!), candidates[0]!, sims, ENGINE_ONLY, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  const client = new GraphqlClient(gw.url, HEADERS, 20);
  const body = JSON.stringify({ query: LIST });
  const operation = async () => (await client.post(body)).status === 200;
  await closedLoop({ connections: 20, seconds: settings.warmup, operation });
  const result = await closedLoop({ connections: 20, seconds: settings.seconds, operation });
  await client.close();
  await gw.stop(); // the profile is written as the gateway exits
  await sims.stop();
  console.log(`${result.opsPerSec.toFixed(0)} ops/s under the profiler; the profile is in ${dir} (open it in Chrome DevTools or VS Code)`);
}

async function main(): Promise<void> {
  installCleanup();
  if (opts.profile) return profile();
  const nodes = list(opts.node).map(nodeRuntime);
  const machine = `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GB, Linux ${release()}; runner on Node ${process.version}; ${commit()}`;
  log(`keygate bench: ${machine}; gateways on ${nodes.map((n) => n.version).join(', ')}`);
  const report: Report = {
    when: new Date().toISOString(),
    machine,
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    settings: { seconds: settings.seconds, rounds: settings.rounds, warmup: settings.warmup, rowSeconds: settings.rowSeconds },
    scale: [],
    throughput: [],
    memory: [],
    pressure: [],
  };
  if (settings.sections.has('throughput')) {
    log('throughput and memory:');
    const sims = await startSimulators(25);
    Object.assign(report, await throughput(nodes, sims).then(({ runs, memory }) => ({ throughput: runs, memory })));
    await sims.stop();
  }
  const largest = Math.max(...settings.sizes);
  for (const size of settings.sizes) {
    const wantScale = settings.sections.has('scale');
    const wantPressure = settings.sections.has('pressure') && size === largest;
    if (!wantScale && !wantPressure) continue;
    log(`${size.toLocaleString('en-US')} keys per account: seeding…`);
    const sims = await startSimulators(size);
    if (wantScale) report.scale.push(...(await scale(nodes, sims)));
    if (wantPressure) report.pressure.push(...(await pressure(nodes, sims)));
    await sims.stop();
  }
  const text = markdown(report, MAIN);
  mkdirSync(opts.out, { recursive: true });
  writeFileSync(join(opts.out, 'latest.md'), text);
  writeFileSync(join(opts.out, 'latest.json'), `${JSON.stringify({ ...report, targets: targets(report, MAIN) }, null, 2)}\n`);
  console.log(text);
  if (opts.strict && targets(report, MAIN).some((t) => t.status === 'FAIL')) process.exitCode = 1;
}

function commit(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: candidates[0]!.dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `keygate ${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'src') ? ' (src modified)' : ''}`;
  } catch {
    return 'keygate (not a git checkout)';
  }
}

main().catch((error: unknown) => {
  console.error('bench failed:', error);
  process.exit(1);
});
