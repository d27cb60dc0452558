// What keygate runs on its store for the life of the process: the audit trail (and its retry loop
// and retention purge), and rotations with the scheduler that revokes old keys once across a fleet.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { AuditEvents, AuditTrail, type Clock, type Store } from '../store/index.js';
import type { Upstreams } from '../upstream/upstreams.js';
import { RotationRunner } from './rotation.js';

export interface StoreRuntime {
  store: Store;
  events: AuditEvents;
  trail: AuditTrail;
  rotations: RotationRunner;
  /** Stops the loops, letting a revocation or audit write in progress finish. The store stays open: its opener closes it. */
  close(): Promise<void>;
}

export function startStoreRuntime(
  store: Store,
  deps: {
    upstreams: Upstreams;
    config: Pick<Config, 'lists' | 'upstream' | 'rotation' | 'store'>;
    logger: Logger;
    background: boolean;
    /** The store's time (tests move it by hand). */
    clock?: Clock;
  },
): StoreRuntime {
  const events = new AuditEvents(store, { retentionDays: deps.config.store.auditRetentionDays, clock: deps.clock });
  const trail = new AuditTrail(events, { logger: deps.logger, hooks: store.hooks });
  const rotations = new RotationRunner(store, { upstreams: deps.upstreams, trail, events, config: deps.config, logger: deps.logger, clock: deps.clock });
  if (deps.background) {
    trail.start();
    rotations.start();
  }
  return {
    store,
    events,
    trail,
    rotations,
    close: async () => {
      await rotations.close();
      await trail.close();
    },
  };
}
