import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CircuitState } from 'cockatiel';
import { PROVIDERS, type Provider } from './upstream/errors.js';
import type { ApiKeyRisk } from './domain.js';
import type { UpstreamCall } from './upstream/http.js';

/** Operation names come from clients: bound how many distinct ones become label values. */
const MAX_OPERATION_NAMES = 200;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export type Outcome = 'ok' | 'partial' | 'error' | 'rejected';

/**
 * What the background inventory knows, as its gauges show it. Label values arrive already shaped
 * (bounded, truncated, nothing secret-like); prom-client escapes them for the text format.
 */
export interface InventoryView {
  accounts: {
    provider: Provider;
    account: string;
    /** 0: no refresh of this account has succeeded yet. */
    lastSuccessSeconds: number;
    /** Keys per risk, and `ALL` for every key; absent until a refresh succeeds. */
    counts?: ReadonlyMap<ApiKeyRisk | 'ALL', number>;
  }[];
  /** The keys that expire, at most INVENTORY_MAX_EXPIRY_SERIES of them (the soonest). */
  expiring: { provider: Provider; account: string; keyId: string; name: string; expiresAtSeconds: number }[];
  /** Keys that expire but got no series because of the bound. */
  omittedExpirySeries: number;
}

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
  private readonly storeErrors = new Counter({
    name: 'keygate_store_errors_total',
    help: 'Errors of the store (audit trail, rotations) by kind: query, connection, audit_write, audit_dropped, secret_refused, revoke, scheduler, health.',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly createRateLimited = new Counter({
    name: 'keygate_create_rate_limited_total',
    help: 'Key-creating operations refused by the per-client rate limit.',
    registers: [this.registry],
  });

  // The inventory's gauges (src/inventory): what the configured credentials can see.
  private readonly apiKeys = new Gauge({
    name: 'keygate_api_keys',
    help: 'API keys the configured credentials can see, by account and risk (ALL: every key; a key with several risks counts under each). From the background inventory.',
    labelNames: ['provider', 'account', 'risk'],
    registers: [this.registry],
  });
  private readonly keyExpiry = new Gauge({
    name: 'keygate_api_key_expiry_timestamp_seconds',
    help: 'When a key expires (Unix seconds), for each key that expires, expired ones included; at most INVENTORY_MAX_EXPIRY_SERIES series, the soonest first.',
    labelNames: ['provider', 'account', 'key_id', 'name'],
    registers: [this.registry],
  });
  private readonly expiryOmitted = new Gauge({
    name: 'keygate_inventory_expiry_series_omitted',
    help: 'Keys that expire but have no keygate_api_key_expiry_timestamp_seconds series because of INVENTORY_MAX_EXPIRY_SERIES (they expire later than every key shown).',
    registers: [this.registry],
  });
  private readonly inventorySuccess = new Gauge({
    name: 'keygate_inventory_last_success_timestamp_seconds',
    help: 'When the inventory last read an account\'s keys successfully (Unix seconds; 0: not yet). A failing account keeps its last values.',
    labelNames: ['provider', 'account'],
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

  storeError(kind: string): void {
    this.storeErrors.inc({ kind });
  }

  circuitState(provider: Provider, state: CircuitState): void {
    this.circuit.set({ provider }, state);
  }

  /** Replaces the inventory's gauges at once (synchronously, so no scrape sees half of it). */
  showInventory(view: InventoryView): void {
    this.apiKeys.reset();
    this.keyExpiry.reset();
    this.inventorySuccess.reset();
    for (const { provider, account, lastSuccessSeconds, counts } of view.accounts) {
      this.inventorySuccess.set({ provider, account }, lastSuccessSeconds);
      for (const [risk, count] of counts ?? []) this.apiKeys.set({ provider, account, risk }, count);
    }
    for (const key of view.expiring) {
      this.keyExpiry.set({ provider: key.provider, account: key.account, key_id: key.keyId, name: key.name }, key.expiresAtSeconds);
    }
    this.expiryOmitted.set(view.omittedExpirySeries);
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
