// What bench/run.ts and its simulators child (bench/simulators.ts) both need to know.

export const OCTOPUS_USER_ID = 'Users-1';
export const SEED_KEYS_PER_PROVIDER = 25;

/** The first message of the simulators child: where they listen and a working credential for each. */
export interface SimulatorsReady {
  type: 'ready';
  /** `url` is the origin, without `/api` (the gateway adds it). */
  octopus: { url: string; apiKey: string; userId: string };
  /** `url` includes `/v1`. */
  hyperstack: { url: string; apiKey: string };
}

/** Requests received per route template, plus `octopus (all)` and `hyperstack (all)`. */
export type RouteCounts = Record<string, number>;
