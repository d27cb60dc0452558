import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

/**
 * GraphiQL's bundle (~9 MB from @graphql-yoga/render-graphiql) as static files: built once into
 * this directory (by `npm run build`, or on first need), content-hashed, with brotli and gzip
 * copies beside each file, and served from disk. Rendering it into every page, as yoga does, sent
 * 8.9 MB and cost ~200 ms of CPU per visit, and kept ~52 MB alive for the life of the process.
 *
 * `<root>/dist/graphiql/` both from dist/ (where the build puts it) and from src/ (tests, tsx).
 */
export const GRAPHIQL_ASSETS_DIR = fileURLToPath(new URL('../dist/graphiql/', import.meta.url));

/** Where the assets are served; the page itself is the GraphQL endpoint. */
export const GRAPHIQL_PREFIX = '/graphiql/';

export type Encoding = 'br' | 'gzip';
export const ENCODINGS: readonly Encoding[] = ['br', 'gzip'];
const EXTENSION: Record<Encoding, string> = { br: '.br', gzip: '.gz' };

export interface GraphiQLAsset {
  /** File name, also the last path segment of its URL: `graphiql.<hash>.js`. */
  file: string;
  type: string;
  /** Bytes on disk per encoding (`identity`: uncompressed). */
  bytes: Record<Encoding | 'identity', number>;
}

export type AssetName = 'css' | 'js' | 'bootstrap' | 'editorWorkerService' | 'json' | 'graphql';

export interface GraphiQLManifest {
  /** What the files were built from: a different one means they are stale. */
  source: string;
  assets: Record<AssetName, GraphiQLAsset>;
}

/** The file of an asset in an encoding. */
export function assetPath(dir: string, asset: GraphiQLAsset, encoding?: Encoding): string {
  return join(dir, encoding ? asset.file + EXTENSION[encoding] : asset.file);
}

/**
 * Starts GraphiQL from the page's JSON options, so the page needs no inline script and its
 * Content-Security-Policy can say `script-src 'self'`. Monaco's workers load from our own files.
 * The page's address never holds a query. A link must not fill the editor: GraphiQL would put a
 * `?query=` there (a mutation, even) ready to run, so that parameter is dropped before it starts.
 * And GraphiQL copies the editor's text into `?query=` on every edit: a leaked secret pasted into a
 * query would land in the address bar, the browser's history and, on a reload, the request line
 * every proxy logs. Nor does the browser's storage: GraphiQL's own state is kept in the page's memory.
 */
const BOOTSTRAP = `(() => {
  'use strict';
  const { options, workers } = JSON.parse(document.getElementById('graphiql-options').textContent);
  self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_moduleId, label) => workers[label] };
  for (const method of ['pushState', 'replaceState']) {
    const original = history[method];
    history[method] = function (state, unused, target) {
      if (target === undefined || target === null) return original.call(this, state, unused, target);
      const url = new URL(target, location.href);
      url.searchParams.delete('query');
      return original.call(this, state, unused, url);
    };
  }
  if (new URL(location.href).searchParams.has('query')) history.replaceState(history.state, '', location.href);
  // GraphiQL keeps its tabs (queries and variables: a leaked secret pasted to be revoked) and its
  // history in localStorage, which outlives the page on disk. Here they live as long as the page.
  const kept = new Map();
  const storage = {
    getItem: (key) => (kept.has(key) ? kept.get(key) : null),
    setItem: (key, value) => void kept.set(key, String(value)),
    removeItem: (key) => void kept.delete(key),
    clear: () => kept.clear(),
    key: (index) => [...kept.keys()][index] ?? null,
    get length() {
      return kept.size;
    },
  };
  YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), { ...options, storage });
})();
`;

const JS = 'text/javascript; charset=utf-8';
const require = createRequire(import.meta.url);
const BUNDLE = '@graphql-yoga/render-graphiql/graphiql';

/** The installed bundle's version, plus what this module adds: a change in either rebuilds. */
function sourceId(): string {
  const path = require.resolve(BUNDLE);
  const { version } = JSON.parse(readFileSync(join(dirname(path), '..', 'package.json'), 'utf8')) as { version: string };
  return `render-graphiql@${version}+${hash(BOOTSTRAP)}`;
}

const hash = (content: string | Buffer) => createHash('sha256').update(content).digest('base64url').slice(0, 16);

/** Written beside, then renamed into place: a concurrent reader (another test worker) never sees half a file. */
function writeAtomically(path: string, content: string | Buffer): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}

/**
 * Builds the files and their manifest into `dir`. The bundle is loaded through require and dropped
 * from require's cache afterwards, so its ~9 MB of strings do not stay in memory.
 */
export async function buildGraphiQLAssets(dir = GRAPHIQL_ASSETS_DIR): Promise<GraphiQLManifest> {
  const source = sourceId();
  const path = require.resolve(BUNDLE);
  const bundle = require(BUNDLE) as Record<'css' | 'js' | 'editorWorkerService' | 'jsonWorker' | 'graphqlWorker', string>;
  delete require.cache[path];
  const parts: Record<AssetName, [content: string, stem: string, type: string]> = {
    css: [bundle.css, 'graphiql', 'text/css; charset=utf-8'],
    js: [bundle.js, 'graphiql', JS],
    bootstrap: [BOOTSTRAP, 'keygate-graphiql', JS],
    editorWorkerService: [bundle.editorWorkerService, 'editor.worker', JS],
    json: [bundle.jsonWorker, 'json.worker', JS],
    graphql: [bundle.graphqlWorker, 'graphql.worker', JS],
  };
  mkdirSync(dir, { recursive: true });
  const assets = {} as Record<AssetName, GraphiQLAsset>;
  for (const [name, [text, stem, type]] of Object.entries(parts) as [AssetName, (typeof parts)[AssetName]][]) {
    const content = Buffer.from(text);
    const asset: GraphiQLAsset = {
      file: `${stem}.${hash(content)}.${type === JS ? 'js' : 'css'}`,
      type,
      bytes: { identity: content.length, br: 0, gzip: 0 },
    };
    const [br, gz] = await Promise.all([
      // Quality 9: within 10% of the maximum (11) at a fifteenth of its time.
      promisify(brotliCompress)(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: content.length } }),
      promisify(gzip)(content, { level: 9 }),
    ]);
    writeAtomically(assetPath(dir, asset), content);
    writeAtomically(assetPath(dir, asset, 'br'), br);
    writeAtomically(assetPath(dir, asset, 'gzip'), gz);
    asset.bytes.br = br.length;
    asset.bytes.gzip = gz.length;
    assets[name] = asset;
  }
  const manifest: GraphiQLManifest = { source, assets };
  writeAtomically(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return manifest;
}

/** The manifest in `dir` when it was built from the installed bundle; undefined otherwise. */
export function readGraphiQLManifest(dir = GRAPHIQL_ASSETS_DIR): GraphiQLManifest | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as GraphiQLManifest;
    return manifest.source === sourceId() ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/** The assets of one gateway: read from disk, built there first if missing or stale; once per process. */
export class GraphiQLAssets {
  private manifest?: Promise<GraphiQLManifest>;

  constructor(readonly dir = GRAPHIQL_ASSETS_DIR) {}

  get(): Promise<GraphiQLManifest> {
    this.manifest ??= Promise.resolve()
      .then(() => readGraphiQLManifest(this.dir) ?? buildGraphiQLAssets(this.dir))
      .catch((error: unknown) => {
        this.manifest = undefined; // tried again on the next visit, not remembered
        throw error;
      });
    return this.manifest;
  }
}
