// The simulators' real responses, validated against the API-key schemas of the providers' own
// documents in ../shared/specs (Octopus swagger 2.0, Hyperstack OpenAPI 3.0). Schemas are taken
// from the loaded documents by operation and $ref; nothing is copied by hand.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type AnySchema, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  startHyperstackSimulator,
  startOctopusSimulator,
  type HyperstackSimulator,
  type HyperstackSimulatorOptions,
  type OctopusSeedUser,
  type OctopusSimulator,
} from '../src/simulators/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const specsDir = path.resolve(repoRoot, '..', 'shared', 'specs');
const OCTOPUS_SPEC = path.join(specsDir, 'octopus-swagger.json');
const HYPERSTACK_SPEC = path.join(specsDir, 'hyperstack-openapi.yaml');
const missing = [OCTOPUS_SPEC, HYPERSTACK_SPEC].filter((file) => !existsSync(file));
if (missing.length > 0) {
  console.warn(`spec-conformance: SKIPPED, provider specs not found: ${missing.join(', ')}`);
}

type Json = Record<string, unknown>;

/** Swagger 2.0 / OpenAPI 3.0 schema → JSON Schema for ajv. */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (typeof node !== 'object' || node === null) return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-') || key === 'example' || key === 'nullable') continue;
    out[key] = toJsonSchema(value);
  }
  // Closed objects: the simulators must not emit fields the spec lacks (extras are allowed explicitly below).
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return (node as Json).nullable === true ? allowNull(out) : out;
}

function allowNull(schema: Json): Json {
  if (typeof schema.type === 'string') return { ...schema, type: [schema.type, 'null'] };
  return { anyOf: [schema, { type: 'null' }] };
}

/** Walks a parsed document; undefined when a step is missing. */
function dig(value: unknown, ...keys: string[]): unknown {
  return keys.reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Json)[k] : undefined), value);
}

/** The $ref of an operation's response schema (swagger 2.0 `schema` or OpenAPI 3.0 `content`). */
function responseRef(doc: unknown, route: string, method: string, status: string): string {
  const response = dig(doc, 'paths', route, method, 'responses', status);
  const ref = dig(response, 'schema', '$ref') ?? dig(response, 'content', 'application/json', 'schema', '$ref');
  if (typeof ref !== 'string') throw new Error(`${method.toUpperCase()} ${route} ${status}: no schema $ref in the document`);
  return ref;
}

function makeAjv(dateTime: 'rfc3339' | 'zone-optional'): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats.default(ajv);
  if (dateTime === 'zone-optional') ajv.addFormat('date-time', addFormats.default.get('iso-date-time'));
  return ajv;
}

/** Asserts that `body` validates, naming every violation and the body when it does not. */
function expectValid(validate: ValidateFunction, body: unknown, what: string): void {
  const ok = validate(body);
  const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  expect(ok, `${what}: ${problems.join('; ')}\n${JSON.stringify(body)}`).toBe(true);
}

async function fetchJson(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { ...init.headers, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, body: (await res.json()) as unknown };
}

// ---------------------------------------------------------------------------------------------
describe.skipIf(missing.length > 0)('Octopus simulator conforms to octopus-swagger.json (2021.2)', () => {
  // Fields 2026 servers add to ApiKeyResource / ApiKeyCreatedResource (contract §4.1); nothing else is allowed.
  const FIELDS_SINCE_2021_2: Json = {
    AccessLevel: { enum: ['FullAccess', 'ReadOnly', 'Custom'] },
    ActorType: { enum: ['User', 'AiAgent'] },
    IsLastUsedTimestampKnown: { type: 'boolean' },
    LastUsedTimeStamp: { type: ['string', 'null'], format: 'date-time' },
  };
  // Swagger 2.0 cannot say "nullable"; these are the nulls the contract documents (.NET writes null for
  // "no value"): NewValue is write-only (null on reads), Hint is null for keys older than hints,
  // Expires is null for never-expiring keys (the real 2021 create response in contract §3.1), and a
  // service account has no e-mail address.
  const NULLABLE: Record<string, string[]> = {
    SensitiveValue: ['NewValue', 'Hint'],
    ApiKeyResource: ['Expires'],
    ApiKeyCreatedResource: ['Expires'],
    UserResource: ['EmailAddress'],
  };

  let doc: Json;
  let sim: OctopusSimulator;
  let schema: (ref: string) => ValidateFunction;
  /** The 2021.2 definitions exactly (nulls aside): what readFields '2021' must satisfy. */
  let schema2021: (ref: string) => ValidateFunction;
  const headers = (userId = 'Users-1') => ({ 'X-Octopus-ApiKey': sim.credentials[userId] ?? '' });
  const users: OctopusSeedUser[] = [
    {
      id: 'Users-1',
      username: 'ada',
      displayName: 'Ada Lovelace',
      isAdmin: true,
      keys: [
        { purpose: 'CLI', created: '2026-01-01T00:00:00Z', expires: '2099-01-01T00:00:00Z' },
        { purpose: 'legacy, never expires', created: '2020-01-01T00:00:00Z', expires: null, lastUsedKnown: false },
        { purpose: 'Terraform', created: '2026-02-01T00:00:00Z', expires: '2099-06-01T00:00:00Z', accessLevel: 'ReadOnly', lastUsed: '2026-02-02T00:00:00Z' },
        { purpose: 'agent', created: '2026-02-03T00:00:00Z', expires: '2099-06-01T00:00:00Z', accessLevel: 'Custom', actorType: 'AiAgent' },
      ],
    },
    { id: 'Users-2', username: 'bob', displayName: 'Bob', keys: [{ purpose: 'x', created: '2026-01-01T00:00:00Z' }] },
    { id: 'Users-3', username: 'carol', displayName: 'Carol', keys: [] },
    { id: 'Users-4', username: 'svc-ci', displayName: 'CI', isService: true, keys: [{ purpose: 'ci', created: '2026-01-01T00:00:00Z' }] },
    { id: 'Users-5', username: 'vault', displayName: 'Vault', keysForbidden: true, keys: [] },
  ];

  const compile = (extraFields: boolean) => {
    const definitions = toJsonSchema(doc.definitions) as Record<string, Json>;
    for (const [name, props] of Object.entries(NULLABLE)) {
      const properties = definitions[name]?.properties as Record<string, Json>;
      for (const prop of props) properties[prop] = allowNull(properties[prop] ?? {});
    }
    if (extraFields) {
      for (const name of ['ApiKeyResource', 'ApiKeyCreatedResource']) {
        Object.assign(definitions[name]?.properties as Json, FIELDS_SINCE_2021_2);
      }
    }
    const ajv = makeAjv('rfc3339');
    ajv.addSchema({ $id: 'octopus', definitions } as AnySchema);
    return (ref: string) => ajv.compile({ $ref: `octopus${ref}` });
  };

  beforeAll(async () => {
    doc = JSON.parse(readFileSync(OCTOPUS_SPEC, 'utf8')) as Json;
    schema = compile(true);
    schema2021 = compile(false);
    sim = await startOctopusSimulator({ users });
  });
  afterAll(() => sim?.close());

  it('the document names the schemas we validate against', () => {
    expect(responseRef(doc, '/users/{userId}/apikeys', 'get', '200')).toBe('#/definitions/ApiKeyResourceCollection');
    expect(responseRef(doc, '/users/{userId}/apikeys/{id}', 'get', '200')).toBe('#/definitions/ApiKeyResource');
    expect(responseRef(doc, '/users/{userId}/apikeys', 'post', '200')).toBe('#/definitions/ApiKeyCreatedResource');
    expect(responseRef(doc, '/users/{id}', 'get', '404')).toBe('#/definitions/Error');
    expect(responseRef(doc, '/users', 'get', '200')).toBe('#/definitions/UserResourceCollection');
  });

  it('list → ApiKeyResourceCollection (several pages, one page, empty)', async () => {
    const validate = schema(responseRef(doc, '/users/{userId}/apikeys', 'get', '200'));
    for (const query of ['?take=2', '?skip=2&take=2', '', '?partialPurpose=cli', '?partialKeyword=api-&take=1']) {
      const res = await fetchJson(`${sim.url}/api/users/Users-1/apikeys${query}`, { headers: headers() });
      expect(res.status).toBe(200);
      expectValid(validate, res.body, `list${query}`);
    }
    const empty = await fetchJson(`${sim.url}/api/users/Users-3/apikeys`, { headers: headers() });
    expectValid(validate, empty.body, 'empty list');
  });

  it('get → ApiKeyResource', async () => {
    const validate = schema(responseRef(doc, '/users/{userId}/apikeys/{id}', 'get', '200'));
    const list = await fetchJson(`${sim.url}/api/users/Users-1/apikeys`, { headers: headers() });
    const ids = (dig(list.body, 'Items') as Json[]).map((item) => item.Id as string);
    for (const id of ids) {
      const res = await fetchJson(`${sim.url}/api/users/Users-1/apikeys/${id}`, { headers: headers() });
      expect(res.status).toBe(200);
      expectValid(validate, res.body, `get ${id}`);
    }
    // The closed schema really bites: an unknown field fails.
    const one = (dig(list.body, 'Items') as Json[])[0];
    expect(validate({ ...one, Secret: 'API-XYZ' })).toBe(false);
  });

  it('create → ApiKeyCreatedResource (default expiry, explicit null, explicit date)', async () => {
    const validate = schema(responseRef(doc, '/users/{userId}/apikeys', 'post', '200'));
    const bodies = [
      { Purpose: 'a' },
      { Purpose: 'b', Expires: null },
      // A date ahead of the real clock the simulator judges it by: a fixed one turns into the past.
      { Purpose: 'c', Expires: new Date(Date.now() + 30 * 86_400_000).toISOString(), UserId: 'Users-1' },
      { Purpose: 'd', ActorType: 'AiAgent' },
    ];
    for (const body of bodies) {
      const res = await fetchJson(`${sim.url}/api/users/Users-1/apikeys`, { method: 'POST', headers: headers(), body });
      expect(res.status).toBe(200);
      expectValid(validate, res.body, `create ${JSON.stringify(body)}`);
    }
  });

  it('user resources → UserResource (a service account included)', async () => {
    const validate = schema(responseRef(doc, '/users/{id}', 'get', '200'));
    for (const route of ['/api/users/me', '/api/users/Users-2', '/api/users/Users-4']) {
      const res = await fetchJson(`${sim.url}${route}`, { headers: headers() });
      expect(res.status).toBe(200);
      expectValid(validate, res.body, route);
    }
  });

  it('the users list → UserResourceCollection (one page, several pages)', async () => {
    const validate = schema(responseRef(doc, '/users', 'get', '200'));
    for (const query of ['', '?take=2', '?skip=4&take=2']) {
      const res = await fetchJson(`${sim.url}/api/users${query}`, { headers: headers() });
      expect(res.status).toBe(200);
      expectValid(validate, res.body, `users${query}`);
    }
  });

  it("readFields '2021' → the 2021.2 definitions with no allowance for 2026 fields", async () => {
    const old = await startOctopusSimulator({ users, readFields: '2021' });
    try {
      const as = { 'X-Octopus-ApiKey': old.credentials['Users-1'] ?? '' };
      const list = await fetchJson(`${old.url}/api/users/Users-1/apikeys`, { headers: as });
      expectValid(schema2021(responseRef(doc, '/users/{userId}/apikeys', 'get', '200')), list.body, 'list 2021');
      const [first] = dig(list.body, 'Items') as Json[];
      const one = await fetchJson(`${old.url}/api/users/Users-1/apikeys/${String(first?.Id)}`, { headers: as });
      expectValid(schema2021(responseRef(doc, '/users/{userId}/apikeys/{id}', 'get', '200')), one.body, 'get 2021');
      const created = await fetchJson(`${old.url}/api/users/Users-1/apikeys`, { method: 'POST', headers: as, body: { Purpose: 'p', ActorType: 'AiAgent' } });
      expectValid(schema2021(responseRef(doc, '/users/{userId}/apikeys', 'post', '200')), created.body, 'create 2021');
      // The 2026 shape does not pass the strict 2021.2 definitions: the check above could fail.
      const now = await fetchJson(`${sim.url}/api/users/Users-1/apikeys/${String(first?.Id)}`, { headers: headers() });
      expect(schema2021(responseRef(doc, '/users/{userId}/apikeys/{id}', 'get', '200'))(now.body)).toBe(false);
    } finally {
      await old.close();
    }
  });

  it('every error status → Error', async () => {
    const validate = schema(responseRef(doc, '/users/{id}', 'get', '404'));
    const [someKey] = dig(
      (await fetchJson(`${sim.url}/api/users/Users-1/apikeys`, { headers: headers() })).body,
      'Items',
    ) as Json[];
    const cases: [number, string, Parameters<typeof fetchJson>[1]][] = [
      [401, '/api/users/Users-1/apikeys', {}],
      [403, '/api/users/Users-1/apikeys', { headers: headers('Users-2') }],
      [403, '/api/users', { headers: headers('Users-2') }],
      [403, '/api/users/Users-5/apikeys', { headers: headers() }],
      [404, '/api/users/Users-9/apikeys', { headers: headers() }],
      [404, '/api/users/Users-1/apikeys/apikeys-nope', { headers: headers() }],
      [404, '/api/nothing-here', { headers: headers() }],
      [400, `/api/users/Users-2/apikeys/${String(someKey?.Id)}`, { headers: headers() }],
      [400, '/api/users/Users-1/apikeys', { method: 'POST', headers: headers(), body: { Purpose: ' ' } }],
      [400, '/api/users/Users-1/apikeys?take=-1', { headers: headers() }],
      [405, '/api/users/Users-1/apikeys', { method: 'PATCH', headers: headers() }],
    ];
    for (const [status, route, init] of cases) {
      const res = await fetchJson(`${sim.url}${route}`, init);
      expect(res.status, route).toBe(status);
      expectValid(validate, res.body, `${status} ${route}`);
    }
    for (const [status, fault] of [[500, { mode: 'error' }], [429, { mode: 'rate-limit', retryAfterSeconds: 3 }]] as const) {
      sim.fault('GET /api/users/me', fault, { times: 1 });
      const res = await fetchJson(`${sim.url}/api/users/me`, { headers: headers() });
      expect(res.status).toBe(status);
      expectValid(validate, res.body, `${status} fault`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe.skipIf(missing.length > 0)('Hyperstack simulator conforms to hyperstack-openapi.yaml', () => {
  let doc: Json;
  // The spec says `format: date-time` (RFC 3339, zone required), but the documented captures are
  // zone-less ('2024-06-14T13:29:50'), which is the simulator's default; that form is checked with
  // a zone-optional date-time, the 'zulu' form with the strict one.
  let schemas: Record<'rfc3339' | 'zone-optional', (ref: string) => ValidateFunction>;

  beforeAll(() => {
    doc = parseYaml(readFileSync(HYPERSTACK_SPEC, 'utf8')) as Json;
    const components = { schemas: toJsonSchema(dig(doc, 'components', 'schemas')) };
    const compiler = (dateTime: 'rfc3339' | 'zone-optional') => {
      const ajv = makeAjv(dateTime);
      ajv.addSchema({ $id: 'hyperstack', components } as AnySchema);
      return (ref: string) => ajv.compile({ $ref: `hyperstack${ref}` });
    };
    schemas = { rfc3339: compiler('rfc3339'), 'zone-optional': compiler('zone-optional') };
  });

  it('the document names the schemas we validate against', () => {
    expect(responseRef(doc, '/api-key', 'get', '200')).toBe('#/components/schemas/GetApiKeysResponseModel');
    expect(responseRef(doc, '/api-key/generate', 'post', '200')).toBe('#/components/schemas/GenerateUpdateApiKeyResponseModel');
    expect(responseRef(doc, '/api-key/{api_key_id}', 'put', '200')).toBe('#/components/schemas/GenerateUpdateApiKeyResponseModel');
    expect(responseRef(doc, '/api-key/{api_key_id}', 'delete', '200')).toBe('#/components/schemas/CommonResponseModel');
    expect(responseRef(doc, '/api-key/generate', 'post', '409')).toBe('#/components/schemas/ErrorResponseModel');
  });

  it("strictSeedAuth accepts exactly the schemes each operation's `security` lists", async () => {
    const sim = await startHyperstackSimulator({ strictSeedAuth: true });
    try {
      const schemes = { apiKey: { api_key: sim.credentials[0] ?? '' }, accessToken: { Authorization: `Bearer ${sim.accessTokens[0]}` } };
      // One request per operation that gets past authentication with a 200 (or 404 for a missing id).
      const operations: [string, string, string, unknown][] = [
        ['/api-key', 'get', '/api-key', undefined],
        ['/api-key/generate', 'post', '/api-key/generate', { name: 'from-conformance' }],
        ['/api-key/{api_key_id}', 'put', '/api-key/999', { name: 'x' }],
        ['/api-key/{api_key_id}', 'delete', '/api-key/999', undefined],
      ];
      let names = 0;
      for (const [route, method, url, body] of operations) {
        const security = dig(doc, 'paths', route, method, 'security') as Record<string, unknown>[];
        const allowed = new Set(security.flatMap((requirement) => Object.keys(requirement)));
        for (const [scheme, headers] of Object.entries(schemes)) {
          const sent = body === undefined ? undefined : { ...(body as Json), name: `n${names++}` };
          const res = await fetchJson(`${sim.url}${url}`, { method: method.toUpperCase(), headers, body: sent });
          const what = `${method} ${route} with ${scheme}`;
          if (allowed.has(scheme)) expect([200, 404], what).toContain(res.status);
          else {
            expect(res.status, what).toBe(401);
            expectValid(schemas.rfc3339(responseRef(doc, route, method, '401')), res.body, what);
          }
        }
      }
      // The document does say it: generate needs the token, the others take either.
      expect(dig(doc, 'paths', '/api-key/generate', 'post', 'security')).toEqual([{ accessToken: [] }]);
    } finally {
      await sim.close();
    }
  });

  // emptyDescription: null is deliberately off-spec (description is a plain string there): it exists
  // so the gateway can be tested against a server that writes null, and is not checked here.
  const variants: [string, HyperstackSimulatorOptions, 'rfc3339' | 'zone-optional'][] = [
    ['defaults (naive created_at, empty description)', {}, 'zone-optional'],
    ["created_at 'zulu', description absent", { createdAtFormat: 'zulu', emptyDescription: 'absent' }, 'rfc3339'],
  ];

  describe.each(variants)('%s', (_name, options, dateTime) => {
    let sim: HyperstackSimulator;
    const op = (route: string, method: string, status: string) => schemas[dateTime](responseRef(doc, route, method, status));
    const as = (user = 0) => ({ api_key: sim.credentials[user] ?? '' });

    beforeAll(async () => {
      sim = await startHyperstackSimulator({ ...options, keyQuota: 5 });
    });
    afterAll(() => sim?.close());

    it('list, generate, update and delete → their 200 models', async () => {
      const list = await fetchJson(`${sim.url}/api-key`, { headers: as() });
      expect(list.status).toBe(200);
      expectValid(op('/api-key', 'get', '200'), list.body, 'list');

      for (const body of [{ name: 'conf-a', description: 'with text' }, { name: 'conf-b' }]) {
        const res = await fetchJson(`${sim.url}/api-key/generate`, { method: 'POST', headers: as(), body });
        expect(res.status).toBe(200);
        expectValid(op('/api-key/generate', 'post', '200'), res.body, `generate ${JSON.stringify(body)}`);
      }

      // The newest seeded key: the first one is the credential these requests use.
      const target = (dig(list.body, 'api_keys') as Json[]).at(-1);
      const updated = await fetchJson(`${sim.url}/api-key/${String(target?.id)}`, { method: 'PUT', headers: as(), body: { name: 'renamed' } });
      expect(updated.status).toBe(200);
      expectValid(op('/api-key/{api_key_id}', 'put', '200'), updated.body, 'update');

      const deleted = await fetchJson(`${sim.url}/api-key/${String(target?.id)}`, { method: 'DELETE', headers: as() });
      expect(deleted.status).toBe(200);
      expectValid(op('/api-key/{api_key_id}', 'delete', '200'), deleted.body, 'delete');
    });

    it('each 4xx → ErrorResponseModel, as the operation declares it', async () => {
      const [theirs] = dig((await fetchJson(`${sim.url}/api-key`, { headers: as(1) })).body, 'api_keys') as Json[];
      const [mine] = dig((await fetchJson(`${sim.url}/api-key`, { headers: as() })).body, 'api_keys') as Json[];
      const cases: [string, string, string, Parameters<typeof fetchJson>[1]][] = [
        ['/api-key', 'get', '401', {}],
        ['/api-key/generate', 'post', '400', { method: 'POST', headers: as(), body: { name: '' } }],
        ['/api-key/generate', 'post', '409', { method: 'POST', headers: as(), body: { name: String(mine?.name) } }],
        ['/api-key/{api_key_id}', 'put', '404', { method: 'PUT', headers: as(), body: { name: 'x' } }],
        ['/api-key/{api_key_id}', 'delete', '400', { method: 'DELETE', headers: as() }],
      ];
      const url = (route: string, status: string) =>
        route !== '/api-key/{api_key_id}' ? route : status === '404' ? `/api-key/${String(theirs?.id)}` : '/api-key/abc';
      for (const [route, method, status, init] of cases) {
        const res = await fetchJson(`${sim.url}${url(route, status)}`, init);
        expect(res.status, `${method} ${route}`).toBe(Number(status));
        expectValid(op(route, method, status), res.body, `${status} ${method} ${route}`);
      }

      // Fill up to the quota; the next generate is the documented 403.
      for (let i = 0; ; i++) {
        const res = await fetchJson(`${sim.url}/api-key/generate`, { method: 'POST', headers: as(), body: { name: `fill-${i}` } });
        if (res.status === 200) continue;
        expect(res.status).toBe(403);
        expectValid(op('/api-key/generate', 'post', '403'), res.body, '403 quota');
        break;
      }

      // Not declared by the spec, but written in the same envelope.
      const envelope = schemas[dateTime]('#/components/schemas/ErrorResponseModel');
      sim.fault('GET /v1/api-key', { mode: 'rate-limit' }, { times: 1 });
      for (const [route, method] of [['/api-key', 'GET'], ['/nothing-here', 'GET'], ['/api-key', 'PATCH']]) {
        const res = await fetchJson(`${sim.url}${route}`, { method, headers: as() });
        expect([429, 404, 405]).toContain(res.status);
        expectValid(envelope, res.body, `${res.status} ${method} ${route}`);
      }
    });
  });
});
