import type { Config } from './config.js';
import { DEFAULT_ACCOUNT } from './domain.js';
import { demoHyperstackUsers, demoOctopusUsers, startHyperstackSimulator, startOctopusSimulator } from './simulators/index.js';

export interface Demo {
  /** The configuration, pointed at the simulators with a demo user's credentials. */
  config: Config;
  octopusUrl: string;
  hyperstackUrl: string;
  close(): Promise<void>;
}

/** Demo mode: both simulators on loopback with seed data, and the gateway pointed at them. */
export async function startDemo(config: Config): Promise<Demo> {
  const now = new Date();
  const [octopus, hyperstack] = await Promise.all([
    startOctopusSimulator({ users: demoOctopusUsers(now) }),
    startHyperstackSimulator({ users: demoHyperstackUsers(now) }),
  ]);
  return {
    config: {
      ...config,
      accounts: [
        { name: DEFAULT_ACCOUNT, provider: 'OCTOPUS', baseUrl: `${octopus.url}/api`, apiKey: octopus.credentials['Users-1'] },
        { name: DEFAULT_ACCOUNT, provider: 'HYPERSTACK', baseUrl: hyperstack.url, apiKey: hyperstack.credentials[0] },
      ],
    },
    octopusUrl: octopus.url,
    hyperstackUrl: hyperstack.url,
    close: async () => {
      await Promise.all([octopus.close(), hyperstack.close()]);
    },
  };
}
