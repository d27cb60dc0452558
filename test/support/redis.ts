// A real redis-server (Debian's package) on a free loopback port, for the shared rate-limit tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { freePort } from './ports.js';

export const REDIS_SERVER = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((path) => existsSync(path));

export interface RedisServer extends AsyncDisposable {
  url: string;
  stop(): Promise<void>;
  /** stop(), for `await using redis = await startRedis()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts redis-server without persistence and resolves once it accepts connections (it says so on
 * stdout). The free port is found first and may be taken by someone else before redis binds it (the
 * machine is shared): then it tries another.
 */
export async function startRedis(): Promise<RedisServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRedisOn(await freePort());
    } catch (error) {
      if (attempt >= 5 || !/Address already in use/i.test(String(error))) throw error;
    }
  }
}

async function startRedisOn(port: number): Promise<RedisServer> {
  if (!REDIS_SERVER) throw new Error('redis-server is not installed');
  const child: ChildProcess = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const append = (chunk: Buffer) => {
      output += chunk.toString();
      if (/Ready to accept connections/.test(output)) resolve();
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    void exited.then(([code]) => reject(new Error(`redis-server exited (${String(code)}):\n${output}`)));
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return { url: `redis://127.0.0.1:${port}`, stop, [Symbol.asyncDispose]: stop };
}
