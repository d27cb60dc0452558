import type { Plugin } from 'graphql-yoga';
import type { Metrics } from '../metrics.js';
import type { ReadinessProbe } from '../readiness.js';

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
 * `/readyz`: 200 when every upstream answers HTTP and no configured credential is refused, 503 with
 * what is wrong otherwise (see ReadinessProbe).
 */
export function useReadiness(probe: ReadinessProbe): Plugin {
  return getOnly('/readyz', async (fetchAPI) => {
    const readiness = await probe.check();
    return new fetchAPI.Response(JSON.stringify(readiness), {
      status: readiness.ready ? 200 : 503,
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
