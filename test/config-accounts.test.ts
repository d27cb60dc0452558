// KEYGATE_CONFIG: accounts from a YAML or JSON file, checked at startup with messages that name the
// account and the field, and never show a credential.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

function file(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'keygate-accounts-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

const SECRET = 'API-SHOULDNEVERAPPEARINAMESSAGE';

describe('KEYGATE_CONFIG', () => {
  it('reads YAML and JSON, credentials from the environment or a file, beside the default accounts', () => {
    const secretFile = file('secret', `${SECRET}\n`);
    const yaml = file('a.yaml', `accounts:\n  - name: prod\n    provider: octopus\n    url: https://o.example.com/\n    apiKeyFrom: { file: ${secretFile} }\n`);
    const json = file('a.json', JSON.stringify({ accounts: [{ name: 'ml', provider: 'HYPERSTACK', accessTokenFrom: { env: 'TOKEN' } }] }));
    const fromYaml = loadConfig({ KEYGATE_CONFIG: yaml, OCTOPUS_URL: 'https://default.example.com', OCTOPUS_API_KEY: 'API-DEFAULT' });
    expect(fromYaml.accounts.map((a) => [a.provider, a.name, a.baseUrl, a.apiKey])).toEqual([
      ['OCTOPUS', 'default', 'https://default.example.com/api', 'API-DEFAULT'],
      ['OCTOPUS', 'prod', 'https://o.example.com/api', SECRET],
    ]);
    const fromJson = loadConfig({ KEYGATE_CONFIG: json, TOKEN: 'tok' });
    expect(fromJson.accounts).toEqual([{ name: 'ml', provider: 'HYPERSTACK', baseUrl: 'https://infrahub-api.nexgencloud.com/v1', apiKey: undefined, accessToken: 'tok', fromFile: true }]);
    expect(fromJson.demo).toBe(false);
  });

  it('spells each server one way, so accounts on it share a pool, cache invalidation and the leaked-secret search', () => {
    const yaml = file('b.yaml', 'accounts:\n  - name: ci\n    provider: octopus\n    url: HTTPS://Deploy.Example.COM:443//\n    apiKeyFrom: { env: CI_KEY }\n');
    const config = loadConfig({ KEYGATE_CONFIG: yaml, CI_KEY: 'API-CI', OCTOPUS_URL: 'https://deploy.example.com/', OCTOPUS_API_KEY: 'API-DEFAULT' });
    expect(config.accounts.map((a) => a.baseUrl)).toEqual(['https://deploy.example.com/api', 'https://deploy.example.com/api']);
  });

  it.each([
    ['a credential written in the file', `accounts:\n  - name: prod\n    provider: octopus\n    url: https://o.example.com\n    apiKey: ${SECRET}\n`, /accounts\[0\] \(prod\)\.apiKey: credentials are never written in the file/],
    ['an Octopus account without url', 'accounts:\n  - name: prod\n    provider: octopus\n', /accounts\[0\] \(prod\)\.url: is required/],
    ['a bad name', 'accounts:\n  - name: Prod Server\n    provider: octopus\n    url: https://o.example.com\n', /accounts\[0\] \(Prod Server\)\.name: must be 1-32 lower-case/],
    ['an unknown provider', 'accounts:\n  - name: x\n    provider: aws\n', /accounts\[0\] \(x\)\.provider/],
    ['a URL with a password', `accounts:\n  - name: x\n    provider: octopus\n    url: https://user:${SECRET}@o.example.com\n`, /accounts\[0\] \(x\)\.url: must not hold a user name or password/],
    ['a URL with a query string', 'accounts:\n  - name: x\n    provider: octopus\n    url: https://o.example.com/?a=b\n', /accounts\[0\] \(x\)\.url: must not carry a query string or fragment/],
    ['an unknown field', 'accounts:\n  - name: x\n    provider: hyperstack\n    region: eu\n', /accounts\[0\] \(x\)/],
    ['no accounts', 'accounts: []\n', /accounts: must list at least one account/],
    ['two accounts of one name', 'accounts:\n  - { name: x, provider: hyperstack }\n  - { name: x, provider: hyperstack }\n', /two hyperstack accounts are named "x"/],
    ['not YAML', 'accounts: [\n', /is not valid YAML/],
  ])('refuses %s, naming the account and field, never showing a credential', (_what, text, message) => {
    const text_ = refusal({ KEYGATE_CONFIG: file('c.yaml', text) });
    expect(text_).toMatch(message);
    expect(text_).not.toContain(SECRET);
  });

  it('a file that does not parse is refused without the text around the error, where a credential may be', () => {
    const json = refusal({ KEYGATE_CONFIG: file('p.json', `{"accounts":[{"name":"prod","provider":"octopus","url":"https://o.example","apiKey":${SECRET}}]}`) });
    expect(json).toMatch(/p\.json is not valid JSON \(Unexpected token/);
    const yaml = refusal({ KEYGATE_CONFIG: file('p.yaml', `accounts:\n  - name: prod\n    apiKey: "${SECRET}\n`) });
    expect(yaml).toMatch(/p\.yaml is not valid YAML/);
    // V8's quote can span lines: only the first line of a message is kept, and the quote must go whole.
    const split = refusal({ KEYGATE_CONFIG: file('q.json', `{"k":${SECRET.slice(0, 10)}\n}`) }); // short: V8 quotes it whole
    expect(split).toMatch(/q\.json is not valid JSON \(Unexpected token/);
    for (const text of [json, yaml, split]) expect(text).not.toContain(SECRET.slice(4, 10));
  });

  it('refuses a credential reference that gives nothing, and a default defined twice', () => {
    const unset = file('u.yaml', 'accounts:\n  - name: ml\n    provider: hyperstack\n    apiKeyFrom: { env: NOT_SET_ANYWHERE }\n');
    expect(refusal({ KEYGATE_CONFIG: unset })).toMatch(/accounts\[0\] \(ml\)\.apiKeyFrom: environment variable NOT_SET_ANYWHERE is not set/);
    const missing = file('m.yaml', 'accounts:\n  - name: ml\n    provider: hyperstack\n    apiKeyFrom: { file: /nonexistent/secret }\n');
    expect(refusal({ KEYGATE_CONFIG: missing })).toMatch(/cannot read \/nonexistent\/secret \(ENOENT\)/);
    const twice = file('t.yaml', 'accounts:\n  - name: default\n    provider: hyperstack\n');
    expect(refusal({ KEYGATE_CONFIG: twice, HYPERSTACK_API_KEY: 'k' })).toMatch(/named "default", and so do the environment variables/);
    expect(refusal({ KEYGATE_CONFIG: '/nonexistent/keygate.yaml' })).toMatch(/KEYGATE_CONFIG: cannot read/);
  });
});
