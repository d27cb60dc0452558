import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { clientOf } from './client-auth.js';
import { countKeyCreations } from './create-limit.js';

export interface CreateRateLimiter {
  limiter: Promise<RateLimiterAbstract>;
  close(): Promise<void>;
}

/**
 * A per-client budget of key creations: in memory by default; in Redis when REDIS_URL is set, so a
 * fleet behind a load balancer shares one budget. rate-limiter-flexible counts atomically in Redis
 * (INCRBY in a Lua script), so concurrent requests on different instances cannot overshoot. If
 * Redis is unreachable, an in-memory limiter takes over rather than letting creations through
 * unlimited or failing them all.
 */
export function createRateLimiter(settings: Config['createRateLimit'], logger: Logger): CreateRateLimiter {
  const options = { points: settings.points, duration: settings.windowSeconds, keyPrefix: 'keygate:create' };
  if (!settings.redisUrl) return { limiter: Promise.resolve(new RateLimiterMemory(options)), close: async () => {} };
  const redisUrl = settings.redisUrl;
  // ioredis is loaded only by gateways that use it (~9 MB), and connects at startup.
  const redis = import('ioredis').then(({ Redis }) => {
    // Commands wait for the connection while it is (re)established, but never long: after a second
    // without an answer the in-memory insurance limiter decides instead.
    const client = new Redis(redisUrl, { maxRetriesPerRequest: 1, commandTimeout: 1_000, connectTimeout: 2_000 });
    let warned = false;
    client.on('error', (error: Error) => {
      if (!warned) logger.warn({ err: { message: error.message } }, 'redis for the create rate limit is unavailable; using in-memory limits');
      warned = true;
    });
    client.on('ready', () => (warned = false));
    return client;
  });
  return {
    limiter: redis.then(
      (client) => new RateLimiterRedis({ ...options, storeClient: client, insuranceLimiter: new RateLimiterMemory(options) }),
    ),
    close: async () => {
      (await redis).disconnect();
    },
  };
}

/**
 * Checks the budget before a key-creating mutation executes, so a refused one calls no provider.
 * Every field marked `createLimit` in the schema costs a point. All or nothing: an operation
 * creating more keys than are left is refused whole, and costs nothing (only creates that run count).
 */
export function useCreateRateLimit(options: {
  limiter: Promise<RateLimiterAbstract>;
  settings: Config['createRateLimit'];
  trustProxy: boolean;
  metrics: Metrics;
}): Plugin {
  const { limiter, settings, trustProxy, metrics } = options;
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const creations = countKeyCreations(args.schema, args.document, args.operationName);
      if (creations === 0) return;
      const key = clientOf(args.contextValue as Parameters<typeof clientOf>[0], trustProxy);
      const store = await limiter;
      try {
        await store.consume(key, creations);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        // consume() counted the refused points too: give them back, or one over-budget operation
        // would block every create for the rest of the window.
        await store.reward(key, creations);
        metrics.createRateLimited.inc();
        const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        setResultAndStopExecution({
          data: null,
          errors: [
            new GraphQLError(
              `Too many keys created: at most ${settings.points} per ${settings.windowSeconds} s for each client. Try again in ${retryAfterSeconds} s.`,
              {
                extensions: {
                  code: 'RATE_LIMITED',
                  retryAfterSeconds,
                  http: { status: 429, headers: { 'retry-after': String(retryAfterSeconds) } },
                },
              },
            ),
          ],
        });
      }
    },
  };
}
