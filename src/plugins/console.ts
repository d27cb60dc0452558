import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'graphql-yoga';

/**
 * The key console's files. Beside this module's parent in both layouts: src/console (tests, tsx)
 * and dist/console (the build copies it there, see scripts/copy-console.mjs).
 */
export const CONSOLE_DIR = fileURLToPath(new URL('../console/', import.meta.url));

/** Where the console's assets are served; the page itself is `/`. */
export const CONSOLE_PREFIX = '/console/';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * The page is static and talks only to /graphql on its own origin, so it can forbid everything
 * else: no inline script or style, no other origin, no framing, no plugins.
 */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

interface Asset {
  body: string;
  type: string;
  etag: string;
}

/** Reads every servable file once, at startup: a missing directory is a build mistake, so say so now. */
export function loadConsoleAssets(dir = CONSOLE_DIR): Map<string, Asset> {
  if (!existsSync(`${dir}/index.html`)) {
    throw new Error(`The key console's files are missing from ${dir}. Build with \`npm run build\`, which copies src/console there.`);
  }
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = CONTENT_TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(`${dir}/${name}`, 'utf8');
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    const asset = { body, type, etag };
    assets.set(`${CONSOLE_PREFIX}${name}`, asset);
    if (name === 'index.html') assets.set('/', asset);
  }
  return assets;
}

/** Serves the key console at `/` and its assets below `/console/`, ahead of GraphQL handling. */
export function useConsole(assets = loadConsoleAssets()): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      const asset = assets.get(url.pathname);
      if (!asset) return;
      const headers: Record<string, string> = {
        ...CONSOLE_SECURITY_HEADERS,
        'Content-Type': asset.type,
        ETag: asset.etag,
        // Revalidate every time (cheap: 304 by ETag), so a new release is never half-cached.
        'Cache-Control': 'no-cache',
      };
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { ...CONSOLE_SECURITY_HEADERS, Allow: 'GET, HEAD' } }));
        return;
      }
      if (request.headers.get('if-none-match') === asset.etag) {
        endResponse(new fetchAPI.Response(null, { status: 304, headers }));
        return;
      }
      endResponse(new fetchAPI.Response(request.method === 'HEAD' ? null : asset.body, { status: 200, headers }));
    },
  };
}
