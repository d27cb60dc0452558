// Load generators. Both are closed-loop: `connections` clients, each sending its next operation as
// soon as the previous one answered, for a fixed time (or a fixed number of operations), and both
// time every operation with a monotonic clock in milliseconds with sub-microsecond resolution.
//
// - runAutocannon drives the gateway (one HTTP request per step, a chain of steps per operation).
//   autocannon's own latency histogram keeps whole milliseconds only, too coarse for a target of
//   "within 1 ms", so latencies are taken from its per-response events instead.
// - runClosedLoop runs any async operation; the direct baseline uses it with undici requests
//   straight to the simulators (and it can drive the gateway too, to check the two generators agree).
import autocannon from 'autocannon';

export interface LatencyStats {
  /** milliseconds */
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  engine: 'autocannon' | 'undici';
  connections: number;
  /** Measured seconds (from the first request to the end of the run). */
  seconds: number;
  /** Operations that completed without error. */
  ops: number;
  opsPerSec: number;
  /** Operations that failed: transport errors, timeouts, non-2xx, bodies that fail the check. */
  errors: number;
  latency: LatencyStats;
  /** Every operation's latency, ms (not written to the results). */
  samples: number[];
}

/** One result from several slices of the same run (alternated with the baseline's). */
export function mergeResults(parts: LoadResult[]): LoadResult {
  const first = parts[0];
  if (!first) throw new Error('nothing to merge');
  const samples = parts.flatMap((p) => p.samples);
  const seconds = parts.reduce((s, p) => s + p.seconds, 0);
  const ops = parts.reduce((s, p) => s + p.ops, 0);
  return {
    engine: first.engine,
    connections: first.connections,
    seconds,
    ops,
    opsPerSec: ops / seconds,
    errors: parts.reduce((s, p) => s + p.errors, 0),
    latency: latencyStats(samples),
    samples,
  };
}

export function latencyStats(samples: number[]): LatencyStats {
  if (samples.length === 0) return { mean: NaN, p50: NaN, p90: NaN, p99: NaN, max: NaN };
  const sorted = Float64Array.from(samples).sort();
  // Nearest-rank percentiles.
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { mean: sum / sorted.length, p50: at(50), p90: at(90), p99: at(99), max: sorted[sorted.length - 1]! };
}

/** One HTTP request of an operation; `body` is fixed, or built per request from the chain's state. */
export interface GatewayStep {
  body: string | ((state: Record<string, unknown>) => string | undefined);
  /**
   * Checks a response (the raw body) and may record what later steps need in `state`. Returns false
   * for a failed operation. Keep it cheap: it runs in the load generator's process, on every response.
   */
  check: (body: string, state: Record<string, unknown>) => boolean;
}

export interface AutocannonOptions {
  url: string;
  headers: Record<string, string>;
  connections: number;
  /** Seconds; ignored when `operations` is given. */
  duration?: number;
  /** Run exactly this many operations (a multiple of `connections`), then stop. */
  operations?: number;
  steps: GatewayStep[];
}

/**
 * Runs the gateway under autocannon. An operation is `steps.length` requests in a row on one
 * connection (e.g. create, then delete what was created); its latency is the sum of theirs.
 */
export async function runAutocannon(options: AutocannonOptions): Promise<LoadResult> {
  const { steps } = options;
  if (options.operations !== undefined && options.operations % options.connections !== 0) {
    throw new RangeError(`operations (${options.operations}) must be a multiple of connections (${options.connections})`);
  }
  const latencies: number[] = [];
  let failedOps = 0;
  // The outcome of the response autocannon is about to report: its onResponse hook (our check) and
  // its 'response' event (the timing) fire one right after the other for the same response.
  let lastStepOk = true;
  // Per connection: time and outcome so far of the operation in progress.
  const inProgress = new Map<object, { ms: number; steps: number; ok: boolean }>();

  const requests: autocannon.Request[] = steps.map((step) => {
    const request: autocannon.Request = { method: 'POST', path: new URL(options.url).pathname };
    if (typeof step.body === 'string') {
      request.body = step.body;
    } else {
      const build = step.body;
      request.setupRequest = (req, context) => {
        const body = build(context as Record<string, unknown>);
        // A step that cannot be built (its predecessor failed) sends a harmless query instead, so
        // the chain keeps its shape; the operation is already counted as failed.
        return { ...req, body: body ?? JSON.stringify({ query: '{ __typename }' }) };
      };
    }
    request.onResponse = (status, body, context) => {
      lastStepOk = status >= 200 && status < 300 && step.check(body, context as Record<string, unknown>);
    };
    return request;
  });

  let finished!: (result: autocannon.Result) => void;
  let failed!: (error: Error) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  const instance = autocannon(
    {
      url: options.url,
      method: 'POST',
      headers: options.headers,
      connections: options.connections,
      pipelining: 1,
      ...(options.operations !== undefined
        ? { amount: options.operations * steps.length }
        : { duration: options.duration ?? 10 }),
      requests,
      // Counting failures is our job (see onResponse); autocannon must not stop on them.
      bailout: Number.MAX_SAFE_INTEGER,
      timeout: 10,
    },
    (error, result) => (error ? failed(error as Error) : finished(result)),
  );

  instance.on('response', (client: object, _status: number, _bytes: number, ms: number) => {
    const op = inProgress.get(client) ?? { ms: 0, steps: 0, ok: true };
    op.ms += ms;
    op.steps += 1;
    op.ok &&= lastStepOk;
    lastStepOk = true;
    if (op.steps < steps.length) {
      inProgress.set(client, op);
      return;
    }
    inProgress.delete(client);
    if (op.ok) latencies.push(op.ms);
    else failedOps++;
  });

  const result = await done;

  // A transport error or timeout breaks the chain of its connection: count it as a failed operation.
  const errors = failedOps + result.errors + result.timeouts;
  return {
    engine: 'autocannon',
    connections: options.connections,
    seconds: result.duration,
    ops: latencies.length,
    opsPerSec: latencies.length / result.duration,
    errors,
    latency: latencyStats(latencies),
    samples: latencies,
  };
}

export interface ClosedLoopOptions {
  connections: number;
  /** Seconds; ignored when `operations` is given. */
  duration?: number;
  operations?: number;
  /** One operation; rejects (or resolves false) when it failed. */
  operation: (worker: number) => Promise<boolean | void>;
}

/** `connections` workers each running `operation` back to back until the time (or count) is up. */
export async function runClosedLoop(options: ClosedLoopOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = options.operations === undefined ? started + (options.duration ?? 10) * 1000 : Infinity;
  let remaining = options.operations ?? Infinity;
  const worker = async (id: number) => {
    while (remaining > 0) {
      remaining--;
      const t0 = performance.now();
      if (t0 >= deadline) return;
      let ok: boolean;
      try {
        ok = (await options.operation(id)) !== false;
      } catch {
        ok = false;
      }
      const t1 = performance.now();
      // Like autocannon: what finishes after the end of the run is not counted.
      if (t1 > deadline) return;
      if (ok) latencies.push(t1 - t0);
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: options.connections }, (_, i) => worker(i)));
  const seconds = (Math.min(performance.now(), deadline) - started) / 1000;
  return {
    engine: 'undici',
    connections: options.connections,
    seconds,
    ops: latencies.length,
    opsPerSec: latencies.length / seconds,
    errors,
    latency: latencyStats(latencies),
    samples: latencies,
  };
}
