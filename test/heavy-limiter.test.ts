// The heavy-list limiter on its own: work a request runs inside its own admission is not made to
// wait, but the keys it holds are counted for everyone else.
import { describe, expect, it } from 'vitest';
import { HeavyWorkLimiter } from '../src/upstream/shared-lists.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('HeavyWorkLimiter', () => {
  it('runAdmitted runs at once, and its keys hold back other work until it ends', async () => {
    const limiter = new HeavyWorkLimiter(4, 60_000, 10);
    const outer = deferred();
    const inner = deferred();
    const order: string[] = [];
    const admitted = limiter.run(2, async () => {
      // Nested work of the same request: 7 more keys, no wait.
      await limiter.runAdmitted(7, async () => {
        order.push('nested ran');
        await inner.promise;
      });
      await outer.promise;
    });
    await Promise.resolve();
    const other = limiter.run(3, async () => void order.push('other ran'));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['nested ran']);
    expect(limiter.waitingCount).toBe(1); // 2 + 7 + 3 > 10
    inner.resolve();
    await other;
    expect(order).toEqual(['nested ran', 'other ran']); // 2 + 3 fit once the nested keys are let go
    outer.resolve();
    await admitted;
  });

  it('without a bound on keys, work of unknown size never leaves the count unusable', async () => {
    const limiter = new HeavyWorkLimiter(2, 60_000);
    await limiter.run(undefined, async () => {});
    await limiter.runAdmitted(undefined, async () => {});
    const both = [deferred(), deferred()];
    const running = both.map((d) => limiter.run(5, () => d.promise));
    await new Promise((r) => setImmediate(r));
    expect(limiter.waitingCount).toBe(0); // two at once, as HEAVY_LIST_CONCURRENCY allows
    for (const d of both) d.resolve();
    await Promise.all(running);
  });
});
