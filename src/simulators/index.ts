export {
  BULK_KEY_PURPOSES,
  startOctopusSimulator,
  type OctopusAccessLevel,
  type OctopusActorType,
  type OctopusBulkKeys,
  type OctopusKeyInput,
  type OctopusKeyView,
  type OctopusSeedKey,
  type OctopusSeedUser,
  type OctopusSimulator,
  type OctopusSimulatorOptions,
} from './octopus.js';
export {
  startHyperstackSimulator,
  type HyperstackSeedKey,
  type HyperstackSeedUser,
  type HyperstackSimulator,
  type HyperstackSimulatorOptions,
} from './hyperstack.js';
export { GOVERNANCE_KEY_IDS, demoHyperstackUsers, demoOctopusUsers, governanceOctopusUsers } from './seed.js';
export type { Fault, SimulatorControl } from './server.js';
