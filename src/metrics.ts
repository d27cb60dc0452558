import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CircuitState } from 'cockatiel';
import { PROVIDERS, type Provider } from './upstream/errors.js';
import type { UpstreamCall } from './upstream/http.js';

/** Operation names come from clients: bound how many distinct ones become label values. */
const MAX_OPERATION_NAMES = 200;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export type Outcome = 'ok' | 'partial' | 'error' | 'rejected';

/**
 * The gateway's Prometheus metrics (prom-client), one registry per gateway instance. Labels are
 * low-cardinality by construction: route templates, provider names, bounded operation names; never
 * an id, a header or a credential.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly operations = new Set<string>();

  private readonly requests = new Counter({
    name: 'keygate_graphql_requests_total',
    help: 'GraphQL requests by operation and outcome (ok, partial: data with errors, error, rejected: refused before execution).',
    labelNames: ['operation', 'type', 'outcome'],
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'keygate_graphql_request_duration_seconds',
    help: 'GraphQL request duration by operation and outcome.',
    labelNames: ['operation', 'type', 'outcome'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly upstreamRequests = new Counter({
    name: 'keygate_upstream_requests_total',
    help: 'Upstream request attempts by provider, route template and result (HTTP status, or the error code when no response came).',
    labelNames: ['provider', 'method', 'route', 'status'],
    registers: [this.registry],
  });
  private readonly upstreamDuration = new Histogram({
    name: 'keygate_upstream_request_duration_seconds',
    help: 'Upstream request attempt duration by provider and route template.',
    labelNames: ['provider', 'method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly circuit = new Gauge({
    name: 'keygate_upstream_circuit_state',
    help: 'Circuit breaker state per provider: 0 closed, 1 open, 2 half-open, 3 isolated.',
    labelNames: ['provider'],
    registers: [this.registry],
  });
  readonly createRateLimited = new Counter({
    name: 'keygate_create_rate_limited_total',
    help: 'Key-creating operations refused by the per-client rate limit.',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    for (const provider of PROVIDERS) this.circuit.set({ provider }, 0);
  }

  request(operation: string | undefined, type: string | undefined, outcome: Outcome, seconds: number): void {
    const labels = { operation: this.operationLabel(operation), type: type ?? 'unknown', outcome };
    this.requests.inc(labels);
    this.duration.observe(labels, seconds);
  }

  upstream(call: UpstreamCall): void {
    const { provider, method, route } = call;
    this.upstreamRequests.inc({ provider, method, route, status: call.status !== undefined ? String(call.status) : (call.code ?? 'unknown') });
    this.upstreamDuration.observe({ provider, method, route }, call.durationMs / 1000);
  }

  circuitState(provider: Provider, state: CircuitState): void {
    this.circuit.set({ provider }, state);
  }

  private operationLabel(name: string | undefined): string {
    if (!name) return 'anonymous';
    if (!OPERATION_NAME.test(name)) return 'invalid';
    if (this.operations.has(name)) return name;
    if (this.operations.size >= MAX_OPERATION_NAMES) return 'other';
    this.operations.add(name);
    return name;
  }
}
