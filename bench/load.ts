// The load generator: a closed loop of `connections` workers, each starting its next operation when
// the previous one answered, timed with a monotonic clock. The same loop drives the gateway and the
// direct baseline, so neither side gets a better client.
import { Pool } from 'undici';

export interface LoadResult {
  seconds: number;
  /** operations that succeeded */
  ops: number;
  opsPerSec: number;
  /** operations that failed (transport error, unexpected status or body) */
  errors: number;
  /** ms, of the operations that succeeded */
  latencies: number[];
}

/** Several slices of one run as one result. */
export function merge(parts: LoadResult[]): LoadResult & { p50: number; p99: number } {
  const latencies = parts.flatMap((p) => p.latencies).sort((a, b) => a - b);
  const seconds = parts.reduce((sum, p) => sum + p.seconds, 0);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    seconds,
    ops: latencies.length,
    opsPerSec: latencies.length / seconds,
    errors: parts.reduce((sum, p) => sum + p.errors, 0),
    latencies,
    p50: at(0.5),
    p99: at(0.99),
  };
}

export async function closedLoop(options: {
  connections: number;
  seconds?: number;
  /** run exactly this many operations instead */
  count?: number;
  operation: () => Promise<boolean>;
}): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let remaining = options.count ?? Infinity;
  const started = performance.now();
  const deadline = options.count === undefined ? started + (options.seconds ?? 10) * 1000 : Infinity;
  const worker = async () => {
    while (remaining > 0 && performance.now() < deadline) {
      remaining--;
      const t0 = performance.now();
      const ok = await options.operation().catch(() => false);
      if (ok) latencies.push(performance.now() - t0);
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { seconds, ops: latencies.length, opsPerSec: latencies.length / seconds, errors, latencies };
}

/** Every gateway request is a non-simple one (CSRF prevention) with the bench's client token. */
export interface GraphqlAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export class GraphqlClient {
  private readonly pool: Pool;

  constructor(
    url: string,
    private readonly headers: Record<string, string>,
    connections = 20,
  ) {
    this.pool = new Pool(url, { connections, pipelining: 1 });
  }

  async post(body: string): Promise<GraphqlAnswer> {
    const response = await this.pool.request({ method: 'POST', path: '/graphql', headers: this.headers, body });
    return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
  }

  async query<T>(query: string, variables?: Record<string, unknown>): Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }> {
    const answer = await this.post(JSON.stringify({ query, variables }));
    if (answer.status !== 200) throw new Error(`the gateway answered HTTP ${answer.status}: ${answer.text.slice(0, 300)}`);
    return JSON.parse(answer.text) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
