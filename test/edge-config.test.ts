// Startup refusals that protect a gateway from being reached or misused in ways its operator did not mean.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { runToExit } from './support/process.js';

const refusal = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
};

describe('ALLOWED_HOSTS', () => {
  const providers = { OCTOPUS_URL: 'https://octopus.example' };

  it('is required on a non-loopback HOST, and the message names it and says why', () => {
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'keygate.internal']) {
      expect(refusal({ ...providers, HOST: host })).toMatch(/ALLOWED_HOSTS=.*DNS rebinding/s);
    }
    expect(loadConfig({ ...providers, HOST: '127.0.0.1' }).allowedHosts).toEqual([]);
    expect(loadConfig({ ...providers, HOST: 'localhost' }).allowedHosts).toEqual([]);
  });

  it('takes names, IP addresses and .domains, each with an optional port', () => {
    const config = loadConfig({ ...providers, HOST: '0.0.0.0', ALLOWED_HOSTS: 'Keygate.Example.com, .corp.example:8443,10.0.0.5:4000,[2001:db8::1]' });
    expect(config.allowedHosts).toEqual([
      { name: 'keygate.example.com', port: undefined, subdomains: false },
      { name: 'corp.example', port: 8443, subdomains: true },
      { name: '10.0.0.5', port: 4000, subdomains: false },
      { name: '[2001:db8::1]', port: undefined, subdomains: false },
    ]);
    // Fully qualified (the root's dot at the end): the same name.
    expect(loadConfig({ ...providers, HOST: '0.0.0.0', ALLOWED_HOSTS: 'keygate.example.com.,.corp.example.:8443' }).allowedHosts).toEqual([
      { name: 'keygate.example.com', port: undefined, subdomains: false },
      { name: 'corp.example', port: 8443, subdomains: true },
    ]);
  });

  it('refuses wildcards, URLs and junk, with a hint for *.domain', () => {
    expect(refusal({ ...providers, HOST: '0.0.0.0', ALLOWED_HOSTS: '*' })).toMatch(/ALLOWED_HOSTS: "\*"/);
    expect(refusal({ ...providers, HOST: '0.0.0.0', ALLOWED_HOSTS: '*.example.com' })).toMatch(/Write "\.example\.com" instead/);
    for (const entry of ['https://keygate.example.com', 'keygate.example.com/graphql', 'a b', 'host:99999', '.[::1]', '[2001:db8::1].', 'keygate.example.com..']) {
      expect(refusal({ ...providers, HOST: '0.0.0.0', ALLOWED_HOSTS: entry })).toMatch(/^ALLOWED_HOSTS: /);
    }
  });
});

describe('demo mode on a reachable address', () => {
  it('is refused when it would start only because nothing is configured', () => {
    expect(refusal({ HOST: '0.0.0.0', ALLOWED_HOSTS: 'keygate.example' })).toMatch(/demo mode.*DEMO=1/s);
  });

  it('starts when asked for with DEMO=1', () => {
    expect(loadConfig({ HOST: '0.0.0.0', DEMO: '1', ALLOWED_HOSTS: 'keygate.example' }).demo).toBe(true);
  });
});

describe('SHUTDOWN_GRACE_MS', () => {
  it('must be at least twice UPSTREAM_TIMEOUT_MS, so a create in flight is never cut', () => {
    expect(refusal({ UPSTREAM_TIMEOUT_MS: '10000', SHUTDOWN_GRACE_MS: '15000' })).toMatch(/SHUTDOWN_GRACE_MS=15000.*20000 ms/s);
    expect(refusal({ UPSTREAM_TIMEOUT_MS: '10000', SHUTDOWN_GRACE_MS: '5000' })).toMatch(/SHUTDOWN_GRACE_MS/);
    expect(loadConfig({ UPSTREAM_TIMEOUT_MS: '10000', SHUTDOWN_GRACE_MS: '20000' }).shutdownGraceMs).toBe(20_000);
  });

  it('defaults to enough for the configured timeout', () => {
    expect(loadConfig({}).shutdownGraceMs).toBe(20_000);
    expect(loadConfig({ UPSTREAM_TIMEOUT_MS: '30000' }).shutdownGraceMs).toBe(60_000);
    expect(loadConfig({ UPSTREAM_TIMEOUT_MS: '1000' }).shutdownGraceMs).toBe(10_000);
  });
});

describe('ROTATION_RECOVERY_DELAY_MS', () => {
  it('must leave a rotation in flight its four timeouts and a second, so recovery never revokes its replacement', () => {
    expect(refusal({ UPSTREAM_TIMEOUT_MS: '10000', ROTATION_RECOVERY_DELAY_MS: '40000' })).toMatch(/ROTATION_RECOVERY_DELAY_MS=40000.*41000 ms/s);
    expect(loadConfig({ UPSTREAM_TIMEOUT_MS: '10000', ROTATION_RECOVERY_DELAY_MS: '41000' }).rotation.recoveryDelayMs).toBe(41_000);
  });

  it('defaults to the four timeouts and a minute, for the store\'s write and clocks that differ', () => {
    expect(loadConfig({}).rotation.recoveryDelayMs).toBe(100_000);
    expect(loadConfig({ UPSTREAM_TIMEOUT_MS: '2000' }).rotation.recoveryDelayMs).toBe(68_000);
  });
});

describe('URLs that would silently never work', () => {
  it('refuses a provider URL with a query string or fragment: the API paths would follow it', () => {
    expect(refusal({ OCTOPUS_URL: 'https://octopus.example/?a=b', OCTOPUS_API_KEY: 'API-XXXXXXXXXXXXXXXXXXXXXXXXXX' })).toMatch(/OCTOPUS_URL: must not carry a query string or fragment/);
    expect(refusal({ HYPERSTACK_URL: 'https://hyperstack.example/v1#x', HYPERSTACK_API_KEY: 'x' })).toMatch(/HYPERSTACK_URL: must not carry a query string or fragment/);
    expect(loadConfig({ OCTOPUS_URL: 'https://octopus.example/', OCTOPUS_API_KEY: 'API-XXXXXXXXXXXXXXXXXXXXXXXXXX' }).accounts[0]!.baseUrl).toBe('https://octopus.example/api');
  });

  it('refuses a JWKS URL in cleartext except on loopback: its keys decide which tokens are good', () => {
    const jwt = { JWT_ISSUER: 'https://idp.example', JWT_AUDIENCE: 'keygate' };
    expect(refusal({ ...jwt, JWT_JWKS_URL: 'http://idp.example/jwks.json' })).toMatch(/JWT_JWKS_URL: must use https/);
    // A query is fine here (Azure AD B2C names its policy in one).
    for (const ok of ['https://idp.example/jwks.json', 'https://t.b2clogin.com/t/discovery/v2.0/keys?p=b2c_1_signin', 'http://127.0.0.1:9000/jwks', 'http://localhost:9000/jwks', 'http://[::1]:9000/jwks']) {
      expect(loadConfig({ ...jwt, JWT_JWKS_URL: ok }).auth.jwt?.jwksUrl, ok).toBeDefined();
    }
  });

  it('refuses a CORS origin no browser would send (a path, a trailing slash, not a URL)', () => {
    for (const bad of ['https://app.example.com/', 'https://app.example.com/app', 'not a url', 'https://a.example,app.example']) {
      expect(refusal({ CORS_ORIGINS: bad }), bad).toMatch(/CORS_ORIGINS: each must be an origin/);
    }
    expect(loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173,*' }).corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173', '*']);
  });
});

describe('credentials in URLs', () => {
  it('are refused in provider URLs, and never echoed', () => {
    const message = refusal({ OCTOPUS_URL: 'https://deploy:hunter2-password@octopus.example/', OCTOPUS_API_KEY: 'API-XXXXXXXXXXXXXXXXXXXXXXXXXX' });
    expect(message).toMatch(/OCTOPUS_URL: must not carry a user name or password/);
    expect(message).not.toMatch(/hunter2|deploy/);
    expect(refusal({ HYPERSTACK_URL: 'https://u:p4ss-word@hyperstack.example', HYPERSTACK_API_KEY: 'x' })).not.toContain('p4ss-word');
  });

  it('a bad URL is shown without its user name, password or query string', () => {
    const message = refusal({ OCTOPUS_URL: 'ftp://deploy:hunter2-password@octopus.example/x?apikey=API-SECRET', OCTOPUS_API_KEY: 'API-XXXXXXXXXXXXXXXXXXXXXXXXXX' });
    expect(message).toContain('OCTOPUS_URL');
    expect(message).toContain('"ftp://[hidden]@octopus.example/x?[hidden]"');
    expect(message).not.toMatch(/hunter2|deploy|API-SECRET/);
  });

  it.each([
    ['one slash after the scheme', 'https:/admin:SuperSecretPw1@octo.example.com', '"https:/[hidden]@octo.example.com"'],
    ['no scheme', 'admin:SuperSecretPw1@octo.example.com', '"[hidden]@octo.example.com"'],
    ['a slash in the password', 'https://admin:Super/SecretPw1@octo.example.com', '"https://[hidden]@octo.example.com"'],
    ['a query and no scheme', 'octo.example.com/?apikey=API-SUPERSECRETPW1SUPERSECRET', '"octo.example.com/?[hidden]"'],
    ['a # in the password', 'https://admin:SuperSecret#Pw1@octo.example.com', '"https://[hidden]@octo.example.com"'],
    ['a ? in the password', 'https://admin:Super?SecretPw1@octo.example.com', '"https://[hidden]@octo.example.com"'],
  ])('a malformed URL (%s) is shown without its credentials', (_, url, shown) => {
    const message = refusal({ OCTOPUS_URL: url, OCTOPUS_API_KEY: 'API-XXXXXXXXXXXXXXXXXXXXXXXXXX' });
    expect(message).toContain(shown);
    expect(message).not.toMatch(/SuperSecret|SUPERSECRET|admin/);
  });

  it('the process prints the same, and nothing more', async () => {
    const result = await runToExit({ OCTOPUS_URL: 'ftp://deploy:hunter2-password@octopus.example', OCTOPUS_API_KEY: 'API-XXXXXXXXXXXXXXXXXXXXXXXXXX' });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/OCTOPUS_URL/);
    expect(result.output).not.toMatch(/hunter2|deploy|API-XXXX/);
  });
});
