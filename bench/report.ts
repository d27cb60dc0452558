// Turns the measurements into the table, the target verdicts and the result files.
import type { LoadResult } from './load.js';
import type { OpKey } from './ops.js';
import type { RouteCounts } from './shared.js';

export const MB = 1_000_000;

export interface Machine {
  cpu: string;
  cores: number;
  memoryGB: number;
  node: string;
  os: string;
  commit: string;
}

export interface RunResult {
  op: OpKey;
  name: string;
  connections: number;
  gateway: LoadResult & {
    /** Gateway CPU time per operation (user + system), ms. */
    cpuMsPerOp: number;
    /** Simulators' CPU time per operation, ms (the same work as the baseline's upstream side). */
    simCpuMsPerOp: number;
    /** Highest RSS sampled during the run, bytes. */
    peakRss: number;
    /** Upstream requests in the timed run / operations (approximate: requests cut off at the end count). */
    upstreamPerOp: number;
  };
  direct: LoadResult & { simCpuMsPerOp: number };
  /** CPU used meanwhile by processes that are not the benchmark's, in cores (disturbance). */
  otherCpu: number;
  /** Other gateways (--compare) measured in the same rounds. */
  candidates: (LoadResult & { label: string; cpuMsPerOp: number; peakRss: number })[];
}

export interface Accounting {
  op: OpKey;
  operations: number;
  connections: number;
  /** Upstream requests per operation, by route (amortised routes as a total for the batch). */
  perOp: RouteCounts;
  amortised: RouteCounts;
  minimum: RouteCounts;
  errors: number;
  atMinimum: boolean;
}

export interface Soak {
  seconds: number;
  connections: number;
  opsPerSec: number;
  p99: number;
  errors: number;
  /** Highest RSS in the first, middle and last tenth of the soak, bytes. */
  start: number;
  middle: number;
  end: number;
  min: number;
  max: number;
  /** (end - start) / start */
  growth: number;
  otherCpu: number;
}

export interface Target {
  id: string;
  text: string;
  status: 'PASS' | 'FAIL' | 'NOT RUN';
  measured: string;
}

export interface Report {
  when: string;
  machine: Machine;
  settings: Record<string, unknown>;
  runs: RunResult[];
  accounting: Accounting[];
  soak?: Soak;
  gatewayPeakRss: number;
  targets: Target[];
}

const ms = (v: number) => (Number.isFinite(v) ? (v < 10 ? v.toFixed(2) : v.toFixed(1)) : '–');
const rate = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '–');
const mb = (v: number) => (Number.isFinite(v) ? `${(v / MB).toFixed(1)} MB` : '–');
const signed = (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%`;
const pct = (v: number) => `${(v * 100).toFixed(0)}%`;

export function evaluateTargets(report: Omit<Report, 'targets'>): Target[] {
  const run = (op: OpKey, c: number) => report.runs.find((r) => r.op === op && r.connections === c);
  const targets: Target[] = [];

  const a1 = run('a', 1);
  if (a1) {
    const delta = a1.gateway.latency.p50 - a1.direct.latency.p50;
    targets.push({
      id: 'latency',
      text: '(a) at concurrency 1: gateway p50 within 1 ms of the direct p50',
      status: delta <= 1 ? 'PASS' : 'FAIL',
      measured: `${ms(a1.gateway.latency.p50)} ms vs ${ms(a1.direct.latency.p50)} ms: +${ms(delta)} ms`,
    });
  } else {
    targets.push({ id: 'latency', text: '(a) at concurrency 1: p50 within 1 ms of direct', status: 'NOT RUN', measured: '' });
  }

  const a20 = run('a', 20);
  if (a20) {
    const ratio = a20.gateway.opsPerSec / a20.direct.opsPerSec;
    targets.push({
      id: 'throughput',
      text: '(a) at concurrency 20: gateway throughput at least 25% of direct',
      status: ratio >= 0.25 ? 'PASS' : 'FAIL',
      measured: `${rate(a20.gateway.opsPerSec)} vs ${rate(a20.direct.opsPerSec)} ops/s: ${pct(ratio)}`,
    });
  } else {
    targets.push({ id: 'throughput', text: '(a) at concurrency 20: ≥ 25% of direct', status: 'NOT RUN', measured: '' });
  }

  targets.push({
    id: 'rss',
    text: 'gateway peak RSS under load at most 150 MB',
    status: !Number.isFinite(report.gatewayPeakRss) ? 'NOT RUN' : report.gatewayPeakRss <= 150 * MB ? 'PASS' : 'FAIL',
    measured: `peak (VmHWM) ${mb(report.gatewayPeakRss)}`,
  });

  const soak = report.soak;
  targets.push({
    id: 'soak',
    text: 'RSS flat (within 10%) across a 60 s soak of (a) at concurrency 20',
    status: !soak ? 'NOT RUN' : Math.abs(soak.growth) <= 0.1 && soak.errors === 0 ? 'PASS' : 'FAIL',
    measured: soak
      ? `${soak.seconds} s: ${mb(soak.start)} → ${mb(soak.middle)} → ${mb(soak.end)} (${soak.growth >= 0 ? '+' : ''}${(soak.growth * 100).toFixed(1)}%)`
      : 'run with --soak=60',
  });

  const counted = report.accounting;
  targets.push({
    id: 'upstream',
    text: 'upstream requests per operation at the design minimum',
    status: counted.length === 0 ? 'NOT RUN' : counted.every((a) => a.atMinimum) ? 'PASS' : 'FAIL',
    measured: counted.map((a) => `(${a.op}) ${total(a.perOp)}/${total(a.minimum)}`).join(', '),
  });
  return targets;
}

const total = (counts: RouteCounts) => Object.values(counts).reduce((s, v) => s + v, 0);

function table(header: string[], rows: string[][], align: ('l' | 'r')[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (align[i] === 'r' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (align[i] === 'r' ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)];
}

/** The report as markdown (also what the console shows). */
export function renderMarkdown(report: Report): string {
  const out: string[] = [];
  const m = report.machine;
  out.push(`keygate benchmark, ${report.when}`);
  out.push('');
  out.push(`Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGB} GB; Node ${m.node}; ${m.os}; keygate ${m.commit}`);
  out.push(`Settings: ${Object.entries(report.settings).map(([k, v]) => `${k}=${String(v)}`).join(', ')}`);
  out.push('');

  const accounting = new Map(report.accounting.map((a) => [a.op, a]));
  out.push(
    ...table(
      ['op', 'conc', 'gateway ops/s', 'direct ops/s', 'ratio', 'p50 gw', 'p50 direct', 'Δp50', 'p99 gw', 'p99 direct', 'upstream/op (min)', 'gw CPU/op', 'peak RSS', 'errors', 'other CPU'],
      report.runs.map((r) => {
        const a = accounting.get(r.op);
        return [
          `(${r.op}) ${r.name}`,
          String(r.connections),
          rate(r.gateway.opsPerSec),
          rate(r.direct.opsPerSec),
          pct(r.gateway.opsPerSec / r.direct.opsPerSec),
          ms(r.gateway.latency.p50),
          ms(r.direct.latency.p50),
          `+${ms(r.gateway.latency.p50 - r.direct.latency.p50)}`,
          ms(r.gateway.latency.p99),
          ms(r.direct.latency.p99),
          a ? `${total(a.perOp)} (${total(a.minimum)})` : r.gateway.upstreamPerOp.toFixed(2),
          `${ms(r.gateway.cpuMsPerOp)} ms`,
          mb(r.gateway.peakRss),
          `${r.gateway.errors}/${r.direct.errors}`,
          r.otherCpu.toFixed(2),
        ];
      }),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  out.push('');
  out.push('Latencies in ms. ratio = gateway ops/s ÷ direct ops/s. errors = gateway/direct failed operations.');
  out.push('gw CPU/op: the gateway process\'s CPU time per operation. other CPU: cores used meanwhile by processes outside the benchmark (above ~0.1 the run was disturbed).');
  out.push('upstream/op: counted by the simulators over an exact batch of operations (per-route detail in latest.json).');
  out.push('');

  const compared = report.runs.filter((r) => r.candidates.length > 0);
  if (compared.length > 0) {
    out.push(`A/B: ${report.machine.commit} (A) against ${[...new Set(compared.flatMap((r) => r.candidates.map((c) => c.label)))].join(', ')}, slices alternating in every round`);
    out.push('');
    out.push(
      ...table(
        ['op', 'conc', 'gateway', 'ops/s', 'vs A', 'p50', 'p99', 'CPU/op', 'vs A', 'peak RSS', 'errors'],
        compared.flatMap((r) => [
          [`(${r.op}) ${r.name}`, String(r.connections), 'A', rate(r.gateway.opsPerSec), '', ms(r.gateway.latency.p50), ms(r.gateway.latency.p99), `${ms(r.gateway.cpuMsPerOp)} ms`, '', mb(r.gateway.peakRss), String(r.gateway.errors)],
          ...r.candidates.map((c) => [
            '',
            '',
            c.label,
            rate(c.opsPerSec),
            signed(c.opsPerSec / r.gateway.opsPerSec - 1),
            ms(c.latency.p50),
            ms(c.latency.p99),
            `${ms(c.cpuMsPerOp)} ms`,
            signed(c.cpuMsPerOp / r.gateway.cpuMsPerOp - 1),
            mb(c.peakRss),
            String(c.errors),
          ]),
        ]),
        ['l', 'r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
    );
    out.push('');
  }

  if (report.accounting.length > 0) {
    out.push(
      ...table(
        ['op', 'operations', 'upstream requests per operation', 'amortised (whole batch)', 'minimum', 'at minimum'],
        report.accounting.map((a) => [
          `(${a.op})`,
          `${a.operations} @ c=${a.connections}`,
          Object.entries(a.perOp).map(([k, v]) => `${k}: ${v}`).join('; ') || '0',
          Object.entries(a.amortised).map(([k, v]) => `${k}: ${v}`).join('; ') || '–',
          String(total(a.minimum)),
          a.atMinimum ? 'yes' : `NO${a.errors ? ` (${a.errors} errors)` : ''}`,
        ]),
        ['l', 'r', 'l', 'l', 'r', 'l'],
      ),
    );
    out.push('');
  }

  if (report.soak) {
    const s = report.soak;
    out.push(
      `Soak: (a) at concurrency ${s.connections} for ${s.seconds} s: ${rate(s.opsPerSec)} ops/s, p99 ${ms(s.p99)} ms, ${s.errors} errors; ` +
        `RSS start ${mb(s.start)}, middle ${mb(s.middle)}, end ${mb(s.end)} (min ${mb(s.min)}, max ${mb(s.max)}); other CPU ${s.otherCpu.toFixed(2)} cores.`,
    );
    out.push('');
  }

  out.push(
    ...table(
      ['target', 'status', 'measured'],
      report.targets.map((t) => [t.text, t.status, t.measured]),
      ['l', 'l', 'l'],
    ),
  );
  return `${out.join('\n')}\n`;
}
