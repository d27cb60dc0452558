// The measurements, the targets of issue 10 judged against them, and the Markdown of both.
import type { RouteCounts } from './simulators.js';

export const MB = 1_000_000;
/** bench/floor.mjs in the throughput and memory tables: the list's work without GraphQL. */
export const FLOOR_LABEL = 'floor';
/** bench/hive (--hive): Hive Gateway over the providers' OpenAPI documents. */
export const HIVE_LABEL = 'hive';

export type ScaleOp = 'first20' | 'first20octopus' | 'count' | 'walk';

export interface ScaleRow {
  node: string;
  gateway: string;
  octopusKeys: number;
  hyperstackKeys: number;
  op: ScaleOp;
  /** LIST_CACHE_TTL_MS and UPSTREAM_DEDUPE on (defaults) or both off */
  cache: boolean;
  /** Upstream requests of the first operation on a fresh gateway (/users/me included), by route. */
  coldCalls: RouteCounts;
  /** Upstream requests and response bytes per operation, measured after the first. */
  callsPerOp: number;
  bytesPerOp: number;
  /** Gateway CPU (user + system) and wall time per operation, ms. */
  cpuMsPerOp: number;
  wallMsPerOp: number;
  ops: number;
  /** GraphQL pages of a walk. */
  pages?: number;
  /** VmHWM of the gateway, which ran this row only. */
  peakRss: number;
  /** What went wrong, if anything (error codes, a walk that skipped or repeated a key). */
  problems: string[];
}

export interface Side {
  label: string;
  opsPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  /** gateways only */
  cpuMsPerOp?: number;
}

export interface ThroughputRun {
  node: string;
  connections: number;
  gateways: Side[];
  direct: Side;
  /** CPU used meanwhile by processes that are not the benchmark's, cores: above ~0.1 the run is disturbed. */
  otherCpu: number;
}

export interface MemoryResult {
  node: string;
  gateway: string;
  flags: string;
  atRest: number;
  afterGraphiql: number;
  /** VmHWM after start, the GraphiQL visit and one list, before the throughput runs */
  beforeLoad: number;
  /** VmHWM after the GraphiQL visit and the throughput runs */
  peak: number;
}

export interface PressureResult {
  node: string;
  gateway: string;
  requests: number;
  /** answers by outcome: "ok", "SERVICE_UNAVAILABLE (HTTP 503, Retry-After 2)", … */
  outcomes: Record<string, number>;
  peakRss: number;
  alive: boolean;
  seconds: number;
}

export interface Report {
  when: string;
  machine: string;
  command: string;
  settings: Record<string, unknown>;
  scale: ScaleRow[];
  throughput: ThroughputRun[];
  memory: MemoryResult[];
  pressure: PressureResult[];
}

export interface Target {
  text: string;
  status: 'PASS' | 'FAIL' | 'NOT RUN';
  measured: string;
}

const OP_NAMES: Record<ScaleOp, string> = {
  first20: '`first: 20`',
  first20octopus: '`first: 20`, Octopus only',
  count: '`totalCount` only',
  walk: 'walk: N pages of `first: 500`',
};
const total = (counts: RouteCounts) => Object.values(counts).reduce((sum, n) => sum + n, 0);
const mb = (bytes: number) => `${(bytes / MB).toFixed(0)} MB`;
const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const bytes = (n: number) => (n >= MB ? `${(n / MB).toFixed(1)} MB` : `${(n / 1000).toFixed(1)} kB`);
const verdict = (ok: boolean | undefined): Target['status'] => (ok === undefined ? 'NOT RUN' : ok ? 'PASS' : 'FAIL');
const nodesOf = (r: Report) => [...new Set([...r.scale, ...r.throughput, ...r.memory, ...r.pressure].map((x) => x.node))];

/** The targets of issue 10, each judged on the main gateway (not --compare candidates). */
export function targets(r: Report, main: string): Target[] {
  const out: Target[] = [];
  for (const node of nodesOf(r)) {
    const row = (op: ScaleOp, keys: number, cache: boolean) =>
      r.scale.find((s) => s.node === node && s.gateway === main && s.op === op && s.octopusKeys === keys && s.cache === cache);
    // Judged with the defaults (the list cache on) and with the cache off: Hyperstack has no paging,
    // so without the cache every page parses its whole list.
    for (const cache of [true, false]) {
      const small = row('first20', 10, cache);
      const big = row('first20', 10_000, cache);
      out.push({
        text: `${node}: \`apiKeys(first: 20)\` at 10,000 keys, cache ${cache ? 'on (the default)' : 'off'}: ≤ 3 upstream calls, CPU within 2× of the 10-key case`,
        status: verdict(small && big && total(big.coldCalls) <= 3 && big.problems.length === 0 && big.cpuMsPerOp <= 2 * small.cpuMsPerOp),
        measured:
          small && big
            ? `${total(big.coldCalls)} calls (first request, /users/me included); ${ms(big.cpuMsPerOp)} vs ${ms(small.cpuMsPerOp)} ms CPU (${(big.cpuMsPerOp / small.cpuMsPerOp).toFixed(1)}×)` +
              (cache ? '' : `. Octopus alone: ${ms(row('first20octopus', 10_000, false)?.cpuMsPerOp ?? NaN)} ms (${ms(row('first20octopus', 10, false)?.cpuMsPerOp ?? NaN)} ms at 10)`)
            : '–',
      });
    }
    const walk = row('walk', 10_000, true);
    const limit = walk ? walk.octopusKeys / 500 + 2 : NaN;
    out.push({
      text: `${node}: whole-list walk (\`first: 500\` pages) at 10,000 keys, cache on: upstream calls ≤ keys ÷ page size + 2`,
      status: verdict(walk && total(walk.coldCalls) <= limit && walk.problems.length === 0),
      measured: walk ? `${total(walk.coldCalls)} calls for ${walk.pages} pages (limit ${limit})` : '–',
    });
    const hundred = r.scale.filter((s) => s.node === node && s.gateway === main && s.octopusKeys === 100_000);
    const pressure = r.pressure.find((p) => p.node === node && p.gateway === main);
    const aborted = hundred.filter((s) => s.problems.some((p) => p.includes('exited')));
    out.push({
      text: `${node}: no abort at 100,000 keys (20 concurrent whole lists under --max-old-space-size=128)`,
      status: verdict(pressure && (hundred.length === 0 ? undefined : pressure.alive && aborted.length === 0)),
      measured: pressure ? `${pressure.alive ? 'alive' : 'ABORTED'}; ${Object.entries(pressure.outcomes).map(([k, n]) => `${n} ${k}`).join(', ')}; peak RSS ${mb(pressure.peakRss)}` : '–',
    });
    const memory = r.memory.find((m) => m.node === node && m.gateway === main);
    const floorMemory = r.memory.find((m) => m.node === node && m.gateway === FLOOR_LABEL);
    out.push({
      text: `${node}: peak RSS ≤ 150 MB under load, after a GraphiQL visit`,
      status: verdict(memory && memory.peak <= 150 * MB),
      measured: memory
        ? `${mb(memory.peak)} (VmHWM; ${mb(memory.atRest)} at rest, ${mb(memory.afterGraphiql)} after GraphiQL, peak ${mb(memory.beforeLoad)} before load)` +
          (floorMemory ? `; the floor: ${mb(floorMemory.peak)} (${mb(floorMemory.atRest)} at rest)` : '')
        : '–',
    });
    const run = r.throughput.find((t) => t.node === node && t.connections === 20);
    const gw = run?.gateways.find((g) => g.label === main);
    const floor = run?.gateways.find((g) => g.label === FLOOR_LABEL);
    out.push({
      text: `${node}: CPU per list operation ≤ 0.45 ms at c=20, dedupe and cache off, every protection on${node.startsWith('v20') ? '' : ' (the target is for Node 20; shown for reference)'}`,
      status: verdict(gw && gw.cpuMsPerOp! <= 0.45 && gw.errors === 0),
      measured:
        gw && run
          ? `${ms(gw.cpuMsPerOp!)} ms (${int(gw.opsPerSec)} ops/s, ${(gw.opsPerSec / run.direct.opsPerSec).toFixed(2)}× the direct baseline's ops/s)` +
            (floor ? `; the floor (no GraphQL): ${ms(floor.cpuMsPerOp!)} ms` : '')
          : '–',
    });
    const hive = run?.gateways.find((g) => g.label === HIVE_LABEL);
    if (hive) {
      // Judged on CPU per operation: on a machine this small, the load generator and the simulators
      // share the cores, so ops/s says less about the gateway than its own CPU does.
      out.push({
        text: `${node}: ≥ 4.5× Hive Gateway at c=20 (its CPU per list operation ÷ keygate's), every keygate protection on`,
        status: verdict(gw && gw.errors === 0 && hive.errors === 0 && hive.cpuMsPerOp! / gw.cpuMsPerOp! >= 4.5),
        measured: gw
          ? `${(hive.cpuMsPerOp! / gw.cpuMsPerOp!).toFixed(1)}× (${ms(hive.cpuMsPerOp!)} vs ${ms(gw.cpuMsPerOp!)} ms); ops/s ${(gw.opsPerSec / hive.opsPerSec).toFixed(1)}× (${int(gw.opsPerSec)} vs ${int(hive.opsPerSec)})`
          : '–',
      });
    }
  }
  return out;
}

export function markdown(r: Report, main: string): string {
  const lines: string[] = [];
  const table = (head: string[], rows: string[][]) => {
    lines.push(`| ${head.join(' | ')} |`, `|${head.map((h, i) => (i === 0 ? ':--' : '--:')).join('|')}|`);
    for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
    lines.push('');
  };
  lines.push(`# keygate benchmark, ${r.when}`, '', `${r.machine}`, '', `\`${r.command}\`; ${Object.entries(r.settings).map(([k, v]) => `${k}=${String(v)}`).join(', ')}`, '');

  lines.push('## Targets', '');
  table(['target', 'status', 'measured'], targets(r, main).map((t) => [t.text, `**${t.status}**`, t.measured]));

  if (r.scale.length > 0) {
    lines.push(
      '## Scale',
      '',
      'One fresh gateway per row. *first call*: upstream requests of the first operation on that gateway, `/users/me` included',
      '(remembered for 60 s afterwards). Per-operation figures are averages over the operations after it; CPU is the',
      "gateway process' user + system time. cache: `LIST_CACHE_TTL_MS` and `UPSTREAM_DEDUPE` at their defaults (on) or both 0.",
      '',
    );
    table(
      ['node', 'gateway', 'keys (Octopus + Hyperstack)', 'operation', 'cache', 'first call', 'upstream/op', 'bytes/op', 'CPU/op ms', 'wall/op ms', 'CPU ms per 1,000 keys', 'peak RSS', 'problems'],
      r.scale.map((s) => [
        s.node,
        s.gateway,
        `${int(s.octopusKeys)} + ${int(s.hyperstackKeys)}`,
        OP_NAMES[s.op].replace('N', String(s.pages)),
        s.cache ? 'on' : 'off',
        String(total(s.coldCalls)),
        s.callsPerOp.toFixed(s.callsPerOp % 1 === 0 ? 0 : 2),
        bytes(s.bytesPerOp),
        ms(s.cpuMsPerOp),
        ms(s.wallMsPerOp),
        s.op === 'walk' ? ms((s.cpuMsPerOp / (s.octopusKeys + s.hyperstackKeys)) * 1000) : '',
        mb(s.peakRss),
        s.problems.join('; ') || '–',
      ]),
    );
  }

  if (r.throughput.length > 0) {
    lines.push(
      '## Throughput',
      '',
      '`apiKeys(first: 50)` over 25 Octopus + 25 Hyperstack keys, against a direct baseline making the same two upstream',
      'requests itself. Dedupe and cache off, every protection on (client token, CSRF, limits, logging at info). Slices of',
      'each side alternate in rounds. Latencies in ms. *floor*: `bench/floor.mjs`, a plain node:http server doing the',
      "list's work (the same upstream requests, parse, map, the same JSON) with no GraphQL and no checks. *hive*",
      '(`--hive`): Hive Gateway at its defaults over the composed OpenAPI documents, asked for the same two upstream lists',
      'side by side (`bench/hive/list.graphql`): no merge, order, ids or cursors.',
      '',
    );
    table(
      ['node', 'conc', 'side', 'ops/s', 'vs direct', 'p50', 'p99', 'CPU/op ms', 'errors', 'other CPU'],
      r.throughput.flatMap((t) => [
        ...t.gateways.map((g) => [t.node, String(t.connections), g.label, int(g.opsPerSec), `${(g.opsPerSec / t.direct.opsPerSec).toFixed(2)}×`, ms(g.p50), ms(g.p99), ms(g.cpuMsPerOp!), String(g.errors), t.otherCpu.toFixed(2)]),
        [t.node, String(t.connections), 'direct', int(t.direct.opsPerSec), '', ms(t.direct.p50), ms(t.direct.p99), '', String(t.direct.errors), ''],
      ]),
    );
  }

  if (r.memory.length > 0) {
    lines.push(
      '## Memory',
      '',
      'RSS of the throughput gateway: at rest, after one GraphiQL page (`GET /graphql`, `Accept: text/html`) and one list, its peak (VmHWM) so far a second later, before any load, and its peak after the runs above.',
      '',
    );
    table(
      ['node', 'gateway', 'node flags', 'at rest', 'after GraphiQL', 'peak before load', 'peak'],
      r.memory.map((m) => [m.node, m.gateway, m.flags || '–', mb(m.atRest), mb(m.afterGraphiql), mb(m.beforeLoad), mb(m.peak)]),
    );
  }

  if (r.pressure.length > 0) {
    lines.push('## Memory pressure', '', '20 concurrent whole-list requests (`orderBy: NAME`) at the largest size, dedupe and cache off, `--max-old-space-size=128`.', '');
    table(
      ['node', 'gateway', 'requests', 'answers', 'seconds', 'peak RSS', 'process'],
      r.pressure.map((p) => [p.node, p.gateway, String(p.requests), Object.entries(p.outcomes).map(([k, n]) => `${n} ${k}`).join(', '), p.seconds.toFixed(1), mb(p.peakRss), p.alive ? 'alive' : '**aborted**']),
    );
  }
  return `${lines.join('\n')}\n`;
}
