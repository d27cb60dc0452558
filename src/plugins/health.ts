import { useReadinessCheck, type Plugin } from 'graphql-yoga';
import type { Metrics } from '../metrics.js';
import type { Upstreams } from '../upstream/upstreams.js';

const READINESS_CACHE_MS = 5_000;

/**
 * `/readyz`: ready when every configured upstream answers HTTP (in demo mode, the simulators).
 * The answer is remembered for a few seconds, so frequent probes from an orchestrator do not turn
 * into a stream of requests to the providers. (`/healthz`, alive, is yoga's built-in check.)
 */
export function useReadiness(upstreams: Upstreams): Plugin {
  let last: { at: number; result: Promise<Record<string, boolean>> } | undefined;
  const probe = async () => {
    const entries = await Promise.all(
      upstreams.httpPools.map(async (u) => [u.provider, await u.probe()] as const),
    );
    return Object.fromEntries(entries);
  };
  return useReadinessCheck({
    endpoint: '/readyz',
    check: async ({ fetchAPI }) => {
      if (!last || performance.now() - last.at > READINESS_CACHE_MS) last = { at: performance.now(), result: probe() };
      const upstreamsReachable = await last.result;
      const ready = Object.values(upstreamsReachable).every(Boolean);
      return new fetchAPI.Response(JSON.stringify({ ready, upstreams: upstreamsReachable }), {
        status: ready ? 200 : 503,
        headers: { 'content-type': 'application/json; charset=utf-8' },
      });
    },
  });
}

/** `/metrics` in the Prometheus text format. */
export function useMetricsEndpoint(metrics: Metrics): Plugin {
  return {
    async onRequest({ url, request, endResponse, fetchAPI }) {
      if (url.pathname !== '/metrics' || request.method !== 'GET') return;
      endResponse(
        new fetchAPI.Response(await metrics.registry.metrics(), { headers: { 'content-type': metrics.registry.contentType } }),
      );
    },
  };
}
