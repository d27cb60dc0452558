import type { Plugin } from 'graphql-yoga';
import type { Metrics } from '../metrics.js';
import type { Upstreams } from '../upstream/upstreams.js';

const READINESS_CACHE_MS = 5_000;

/** A GET-only path: other methods get 405 here rather than falling through to GraphQL handling. */
function getOnly(
  path: string,
  answer: (fetchAPI: { Response: typeof Response }) => Response | Promise<Response>,
): Plugin {
  return {
    async onRequest({ url, request, endResponse, fetchAPI }) {
      if (url.pathname !== path) return;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
        return;
      }
      endResponse(await answer(fetchAPI));
    },
  };
}

/**
 * `/healthz`: alive while the process serves HTTP. Ours rather than yoga's built-in check, which
 * answers any URL ending in its path and runs before every plugin (the host check included).
 */
export function useHealth(): Plugin {
  return getOnly('/healthz', (fetchAPI) => new fetchAPI.Response(null, { status: 200, headers: { 'cache-control': 'no-store' } }));
}

/**
 * `/readyz`: ready when every configured upstream answers HTTP (in demo mode, the simulators).
 * The answer is remembered for a few seconds, so frequent probes from an orchestrator do not turn
 * into a stream of requests to the providers.
 */
export function useReadiness(upstreams: Upstreams): Plugin {
  let last: { at: number; result: Promise<Record<string, boolean>> } | undefined;
  const probe = async () => {
    const entries = await Promise.all(
      [upstreams.octopus, upstreams.hyperstack]
        .filter((u) => u !== undefined)
        .map(async (u) => [u.provider, await u.probe()] as const),
    );
    return Object.fromEntries(entries);
  };
  return getOnly('/readyz', async (fetchAPI) => {
    if (!last || performance.now() - last.at > READINESS_CACHE_MS) last = { at: performance.now(), result: probe() };
    const upstreamsReachable = await last.result;
    const ready = Object.values(upstreamsReachable).every(Boolean);
    return new fetchAPI.Response(JSON.stringify({ ready, upstreams: upstreamsReachable }), {
      status: ready ? 200 : 503,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    });
  });
}

/** `/metrics` in the Prometheus text format. */
export function useMetricsEndpoint(metrics: Metrics): Plugin {
  return getOnly(
    '/metrics',
    async (fetchAPI) =>
      new fetchAPI.Response(await metrics.registry.metrics(), {
        headers: { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' },
      }),
  );
}
