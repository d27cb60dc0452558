import { useReadinessCheck, type Plugin } from 'graphql-yoga';
import type { Metrics } from '../metrics.js';
import type { ReadinessProbe } from '../readiness.js';

/**
 * `/readyz`: 200 when every upstream answers HTTP and no configured credential is refused, 503 with
 * what is wrong otherwise (see ReadinessProbe). `/healthz`, alive, is yoga's built-in check.
 */
export function useReadiness(probe: ReadinessProbe): Plugin {
  return useReadinessCheck({
    endpoint: '/readyz',
    check: async ({ fetchAPI }) => {
      const readiness = await probe.check();
      return new fetchAPI.Response(JSON.stringify(readiness), {
        status: readiness.ready ? 200 : 503,
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
