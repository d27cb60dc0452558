// Time as a test subject: fake the timers the gateway's deadlines run on, leave real I/O alone.
import { setTimeout as sleep } from 'node:timers/promises';
import { onTestFinished, vi } from 'vitest';

/**
 * Fakes setTimeout/clearTimeout (upstream timeouts, retry backoff, simulator latency) and, with
 * `date`, Date (the circuit breaker's reset), and with `performance`, performance.now (a deadline
 * measured from an earlier moment) until the test finishes. Sockets, setImmediate and
 * process.nextTick stay real, so loopback HTTP keeps flowing; time moves only with
 * vi.advanceTimersByTime. Do not use vi.waitFor meanwhile (it advances fake time): use until().
 */
export function fakeClock(options: { date?: boolean; performance?: boolean } = {}): void {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', ...(options.date ? (['Date'] as const) : []), ...(options.performance ? (['performance'] as const) : [])],
  });
  onTestFinished(() => {
    vi.useRealTimers();
  });
}

/**
 * Polls `check` until it holds, on real timers (node:timers/promises, which fake timers leave
 * alone). `timeoutMs` only bounds a test that would otherwise hang; it is not a budget the
 * condition races, so it is wide.
 */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`still waiting after ${timeoutMs} ms for ${what}`);
    await sleep(5);
  }
}

export interface Watched<T> {
  /** The watched promise itself, to await later. */
  readonly promise: Promise<T>;
  /** Whether it has resolved or rejected yet. */
  readonly settled: boolean;
}

/**
 * Watches a promise the test awaits later: tells whether it has settled yet, and keeps a rejection
 * from being reported as unhandled when the test fails before awaiting it.
 */
export function watch<T>(promise: Promise<T>): Watched<T> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return {
    promise,
    get settled() {
      return settled;
    },
  };
}
