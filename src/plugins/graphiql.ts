import { createReadStream } from 'node:fs';
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';
import { ENCODINGS, GRAPHIQL_PREFIX, assetPath, type Encoding, type GraphiQLAssets, type GraphiQLManifest } from '../graphiql-assets.js';
import type { Logger } from '../logger.js';

/**
 * GraphiQL runs its own scripts from our origin and talks only to the GraphQL endpoint. Monaco
 * (its editor) adds <style> elements as it goes, hence inline styles; scripts stay 'self' only.
 * Its fonts and icons are data: URLs in its stylesheet. No framing: GraphiQL runs mutations.
 */
export const GRAPHIQL_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': [
    "default-src 'none'",
    "script-src 'self'",
    "worker-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/** The content hash is in every asset's URL: a new build is a new URL, so a copy may be kept for good. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The small page: GraphiQL's files by URL, and its options as JSON data (not script). */
function renderPage(manifest: GraphiQLManifest, options: GraphiQLOptions & { favicon?: string }): string {
  const url = (name: keyof GraphiQLManifest['assets']) => `${GRAPHIQL_PREFIX}${manifest.assets[name].file}`;
  const data = {
    options,
    workers: { editorWorkerService: url('editorWorkerService'), json: url('json'), graphql: url('graphql') },
  };
  // Inside <script>, only "<" could end the element or open a comment: escape every one.
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  const escape = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escape(options.title ?? 'GraphiQL')}</title>
    ${options.favicon ? `<link rel="icon" href="${escape(options.favicon)}" />` : ''}
    <link rel="stylesheet" href="${url('css')}" />
    <script type="application/json" id="graphiql-options">${json}</script>
    <script src="${url('js')}" defer></script>
    <script src="${url('bootstrap')}" defer></script>
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>GraphiQL needs JavaScript.</noscript>
    <div id="root"></div>
  </body>
</html>
`;
}

/** The best encoding the client accepts that we have a copy in: brotli, then gzip, else none. */
export function pickEncoding(acceptEncoding: string | null): Encoding | undefined {
  const weights = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').toLowerCase().split(',')) {
    const [name, ...params] = part.split(';').map((s) => s.trim());
    if (!name) continue;
    const q = params.find((p) => p.startsWith('q='));
    weights.set(name, q ? Number(q.slice(2)) || 0 : 1);
  }
  return ENCODINGS.find((encoding) => (weights.get(encoding) ?? weights.get('*') ?? 0) > 0);
}

/**
 * GraphiQL: the page at the GraphQL endpoint for a browser (GET asking for HTML), and its files
 * below /graphiql/, streamed from disk, compressed, cacheable for good. Everything below that
 * prefix is answered here (a file, 404 or 405), so nothing there reaches GraphQL. Neither needs a
 * client token: they hold no key data and cause no upstream call; GraphiQL's own requests carry
 * the token from its headers editor.
 */
export function useGraphiQL(settings: { endpoint: string; options: GraphiQLOptions; assets: GraphiQLAssets; logger: Logger }): Plugin {
  const { endpoint, options, assets, logger } = settings;
  let page: Promise<string> | undefined;
  const unavailable = (fetchAPI: { Response: typeof Response }, error: unknown) => {
    logger.error({ err: { message: error instanceof Error ? error.message : String(error) } }, 'GraphiQL assets are not available');
    return new fetchAPI.Response('GraphiQL is not available on this gateway right now; the GraphQL API at this address is.\n', {
      status: 503,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  };
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname === endpoint) {
        // As yoga decides it: a browser navigating here. API clients ask for JSON.
        if (request.method !== 'GET' || !request.headers.get('accept')?.includes('text/html')) return;
        page ??= assets.get().then((manifest) => renderPage(manifest, options));
        try {
          endResponse(new fetchAPI.Response(await page, { headers: { ...GRAPHIQL_SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' } }));
        } catch (error) {
          page = undefined;
          endResponse(unavailable(fetchAPI, error));
        }
        return;
      }
      if (!url.pathname.startsWith(GRAPHIQL_PREFIX)) return;
      let manifest: GraphiQLManifest;
      try {
        manifest = await assets.get();
      } catch (error) {
        endResponse(unavailable(fetchAPI, error));
        return;
      }
      const name = url.pathname.slice(GRAPHIQL_PREFIX.length);
      const asset = Object.values(manifest.assets).find((a) => a.file === name);
      if (!asset) {
        endResponse(new fetchAPI.Response('Not found.\n', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } }));
        return;
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
        return;
      }
      const encoding = pickEncoding(request.headers.get('accept-encoding'));
      const headers: Record<string, string> = {
        'content-type': asset.type,
        'content-length': String(asset.bytes[encoding ?? 'identity']),
        'cache-control': IMMUTABLE,
        vary: 'Accept-Encoding',
        'x-content-type-options': 'nosniff',
        'cross-origin-resource-policy': 'same-origin',
      };
      if (encoding) headers['content-encoding'] = encoding;
      const body = request.method === 'HEAD' ? null : createReadStream(assetPath(assets.dir, asset, encoding));
      endResponse(new fetchAPI.Response(body as unknown as BodyInit | null, { status: 200, headers }));
    },
  };
}
