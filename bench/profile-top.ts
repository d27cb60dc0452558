// Summarises a V8 CPU profile (`node --cpu-prof`): where the time went, by function (self and
// inclusive time) and by package. Frames of keygate's compiled `dist/*.js` are mapped back to
// `src/*.ts` through their source maps.
//
//   npx tsx bench/profile-top.ts PROFILE.cpuprofile [--top 25] [--inclusive] [--md]
//   npx tsx bench/profile-top.ts BEFORE.cpuprofile AFTER.cpuprofile     (packages side by side)
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FrameRow {
  /** `name (file:line)` */
  frame: string;
  pkg: string;
  /** milliseconds */
  self: number;
  inclusive: number;
}

export interface ProfileSummary {
  file: string;
  /** Milliseconds: the whole profile, and without (idle). */
  total: number;
  busy: number;
  frames: FrameRow[];
  packages: { pkg: string; self: number }[];
}

const sourceMaps = new Map<string, SourceMap | null>();

function sourceMapFor(path: string): SourceMap | null {
  if (!sourceMaps.has(path)) {
    let map: SourceMap | null = null;
    try {
      if (existsSync(`${path}.map`)) map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')) as never);
    } catch {
      map = null;
    }
    sourceMaps.set(path, map);
  }
  return sourceMaps.get(path) ?? null;
}

/** Where a frame is, for people: src/…ts:line for keygate, pkg/path:line for dependencies. */
function location(frame: CallFrame): { where: string; pkg: string } {
  const { url } = frame;
  const line = frame.lineNumber + 1;
  if (url === '') return { where: '', pkg: frame.functionName.startsWith('(') ? frame.functionName : '(native)' };
  if (url.startsWith('node:')) return { where: `${url}:${line}`, pkg: 'node (core)' };
  let path = url;
  if (url.startsWith('file://')) {
    try {
      path = fileURLToPath(url);
    } catch {
      path = url;
    }
  }
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length);
    const parts = rest.split('/');
    const pkg = rest.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
    return { where: `${rest}:${line}`, pkg };
  }
  const map = path.endsWith('.js') ? sourceMapFor(path) : null;
  if (map) {
    const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string; originalLine?: number };
    if (entry.originalSource) {
      let original = entry.originalSource;
      if (original.startsWith('file://')) original = fileURLToPath(original);
      else original = new URL(original, pathToFileURL(path)).pathname;
      return { where: `${projectPath(original)}:${(entry.originalLine ?? 0) + 1}`, pkg: 'keygate' };
    }
  }
  return { where: `${projectPath(path)}:${line}`, pkg: /\/(dist|src)\//.test(path) ? 'keygate' : 'other' };
}

/** A path as seen from its checkout: `src/…` or `dist/…` (whichever checkout the profile came from). */
function projectPath(path: string): string {
  const at = Math.max(path.lastIndexOf('/src/'), path.lastIndexOf('/dist/'));
  return at >= 0 ? path.slice(at + 1) : relative(process.cwd(), path);
}

export function summarizeProfile(file: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  // One key per function (not per call site), with its display name.
  const keyOf = new Map<number, string>();
  const info = new Map<string, { frame: string; pkg: string }>();
  for (const node of profile.nodes) {
    const f = node.callFrame;
    const key = `${f.functionName}|${f.url}|${f.lineNumber}|${f.columnNumber}`;
    keyOf.set(node.id, key);
    if (!info.has(key)) {
      const { where, pkg } = location(f);
      const name = f.functionName || '(anonymous)';
      info.set(key, { frame: where ? `${name} (${where})` : name, pkg });
    }
  }

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let idle = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // A sample lasts until the next one (as DevTools counts it).
    const duration = (timeDeltas[i + 1] ?? 0) / 1000;
    if (duration <= 0) continue;
    const id = samples[i]!;
    const key = keyOf.get(id)!;
    total += duration;
    if (byId.get(id)?.callFrame.functionName === '(idle)') idle += duration;
    self.set(key, (self.get(key) ?? 0) + duration);
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const k = keyOf.get(n)!;
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + duration);
    }
  }

  const frames: FrameRow[] = [...info].map(([key, { frame, pkg }]) => ({
    frame,
    pkg,
    self: self.get(key) ?? 0,
    inclusive: inclusive.get(key) ?? 0,
  }));
  const packages = new Map<string, number>();
  for (const row of frames) packages.set(row.pkg, (packages.get(row.pkg) ?? 0) + row.self);
  return {
    file,
    total,
    busy: total - idle,
    frames,
    packages: [...packages].map(([pkg, s]) => ({ pkg, self: s })).sort((a, b) => b.self - a.self),
  };
}

function render(header: string[], rows: string[][], md: boolean): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.every((r) => /^[\d.,%+\-–]*$/.test(r[i] ?? '')));
  const line = (cells: string[]) => {
    const padded = cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)));
    return md ? `| ${padded.join(' | ')} |` : padded.join('  ');
  };
  const rule = md
    ? `|${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`
    : widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

const share = (v: number, of: number) => `${((v / of) * 100).toFixed(1)}%`;

export function formatSummary(
  summary: ProfileSummary,
  options: { top?: number; inclusive?: boolean; md?: boolean; pkg?: string } = {},
): string {
  const top = options.top ?? 25;
  const md = options.md ?? false;
  const { busy } = summary;
  const out: string[] = [];
  out.push(
    `${summary.file}: ${(summary.total / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy (${share(busy, summary.total)}); shares below are of busy time`,
  );
  out.push('');
  out.push('Self time by package');
  out.push(
    render(
      ['package', 'self ms', 'share'],
      summary.packages.filter((p) => p.pkg !== '(idle)').slice(0, 15).map((p) => [p.pkg, p.self.toFixed(0), share(p.self, busy)]),
      md,
    ),
  );
  out.push('');
  out.push(`Top ${top} functions by self time${options.pkg ? ` in ${options.pkg}` : ''}`);
  const bySelf = summary.frames
    .filter((f) => f.pkg !== '(idle)' && (!options.pkg || f.pkg === options.pkg))
    .sort((a, b) => b.self - a.self)
    .slice(0, top);
  out.push(
    render(
      ['#', 'self ms', 'self', 'incl', 'function (file:line)'],
      bySelf.map((f, i) => [String(i + 1), f.self.toFixed(0), share(f.self, busy), share(f.inclusive, busy), f.frame]),
      md,
    ),
  );
  if (options.inclusive) {
    out.push('');
    out.push(`Top ${top} functions by inclusive time (keygate and dependencies; runtime frames left out)`);
    const byIncl = summary.frames
      .filter((f) => !f.pkg.startsWith('(') && f.pkg !== 'node (core)')
      .sort((a, b) => b.inclusive - a.inclusive)
      .slice(0, top);
    out.push(
      render(
        ['#', 'incl', 'self', 'function (file:line)'],
        byIncl.map((f, i) => [String(i + 1), share(f.inclusive, busy), share(f.self, busy), f.frame]),
        md,
      ),
    );
  }
  return out.join('\n');
}

export function formatComparison(before: ProfileSummary, after: ProfileSummary, md = false): string {
  const pkgs = [...new Set([...before.packages, ...after.packages].map((p) => p.pkg))].filter((p) => p !== '(idle)');
  const get = (s: ProfileSummary, pkg: string) => s.packages.find((p) => p.pkg === pkg)?.self ?? 0;
  pkgs.sort((a, b) => get(before, b) + get(after, b) - (get(before, a) + get(after, a)));
  return [
    `before: ${before.file} (${(before.busy / 1000).toFixed(1)} s busy)`,
    `after:  ${after.file} (${(after.busy / 1000).toFixed(1)} s busy)`,
    '',
    render(
      ['package', 'before', 'after'],
      pkgs.slice(0, 20).map((p) => [p, share(get(before, p), before.busy), share(get(after, p), after.busy)]),
      md,
    ),
  ].join('\n');
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: 'string', default: '25' },
      inclusive: { type: 'boolean', default: false },
      md: { type: 'boolean', default: false },
      package: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || positionals.length === 0 || positionals.length > 2) {
    console.log('usage: tsx bench/profile-top.ts PROFILE.cpuprofile [--top N] [--inclusive] [--md] [--package NAME]');
    console.log('       tsx bench/profile-top.ts BEFORE.cpuprofile AFTER.cpuprofile [--md]');
    process.exit(values.help ? 0 : 2);
  }
  if (positionals.length === 2) {
    console.log(formatComparison(summarizeProfile(positionals[0]!), summarizeProfile(positionals[1]!), values.md));
    return;
  }
  console.log(formatSummary(summarizeProfile(positionals[0]!), { top: Number(values.top), inclusive: values.inclusive, md: values.md, pkg: values.package }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
