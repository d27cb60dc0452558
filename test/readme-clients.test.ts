// The README's client set-ups (## Clients) run as written, with their real libraries, against the
// demo served over loopback HTTP: only the URL is changed (and, for Relay, the `graphql` tag is
// replaced by its compiled artifact, as babel-plugin-relay does).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildSchema, isInterfaceType, parse, print, validate, visit } from 'graphql';
import ts from 'typescript';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startDemo } from '../src/demo.js';
import { createGateway } from '../src/gateway.js';
import { openStore } from '../src/store/index.js';
import { listen, type Listening } from './support/listen.js';
import KeysQuery from './support/relay/__generated__/KeysQuery.graphql.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const section = /\n## Clients\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
const CLIENTS = ['apollo', 'urql', 'relay', 'fetch'] as const;
type ClientName = (typeof CLIENTS)[number];
const blocks = new Map(
  [...section.matchAll(/```ts\n(\/\/ README client: (\w+)\n[\s\S]*?)```/g)].map((m) => [m[2] as ClientName, m[1]!]),
);
const block = (name: ClientName) => blocks.get(name) ?? '';

/** The README's URL and the token its gateway is configured with here. */
const README_URL = "'http://127.0.0.1:4000/graphql'";
const TOKEN = 'your-gateway-token';
/** Relay's tagged query in the README block. */
const RELAY_TAG = /graphql`([\s\S]*?)`/;
// Made by `npx relay-compiler@21.0.1` (a Rust binary in its npm package; not a dependency, since
// the artifact is checked in) from the README's query and relay.config.json, plus
// "useImportTypeSyntax": true for this project's verbatimModuleSyntax. A test below checks that it
// still matches the README's query and schema.graphql; regenerate it when either changes.
const RELAY_ARTIFACT = join(root, 'test/support/relay/__generated__/KeysQuery.graphql.ts');
/** The extracted modules live inside the repository, so their imports resolve to its node_modules. */
const ARTIFACTS = join(root, 'test-artifacts', 'readme-clients');

interface Key {
  id: string;
  provider: 'OCTOPUS' | 'HYPERSTACK';
  name: string;
  purpose?: string;
}
const LIST = '{ apiKeys(first: 20) { nodes { id provider name ... on OctopusApiKey { purpose } } } }';

/** The demo (optionally with a Hyperstack credential its simulator refuses), served on loopback. */
async function serveDemo(options: { badHyperstackCredential?: boolean } = {}) {
  const demo = await startDemo(loadConfig({ LOG_LEVEL: 'silent', GATEWAY_TOKENS: `readme:${TOKEN}` }));
  onTestFinished(() => demo.close());
  const store = await openStore({ url: 'sqlite::memory:' });
  onTestFinished(() => store.close());
  const config = options.badHyperstackCredential
    ? {
        ...demo.config,
        accounts: demo.config.accounts.map((a) => (a.provider === 'HYPERSTACK' ? { ...a, apiKey: 'not-a-hyperstack-credential' } : a)),
      }
    : demo.config;
  const gateway = createGateway(config, { store, storeLoops: false });
  onTestFinished(() => gateway.close());
  const server = await listen(gateway);
  onTestFinished(() => server.close());
  return server;
}

/** What the gateway itself answers to `query`, read without any client library. */
async function direct<T>(server: Listening, query: string): Promise<{ data?: T; errors?: { extensions?: Record<string, unknown> }[] }> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as never;
}

const plain = ({ id, provider, name, purpose }: Key): Key => ({ id, provider, name, ...(purpose === undefined ? {} : { purpose }) });

/** Writes a README block, pointed at `server`, into a module of its own and imports it. */
async function load<T>(name: ClientName, server: Listening, edit: (code: string) => string = (code) => code): Promise<T> {
  const code = block(name);
  expect(code.split(README_URL)).toHaveLength(2);
  mkdirSync(ARTIFACTS, { recursive: true });
  const dir = mkdtempSync(join(ARTIFACTS, `${name}-`));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, edit(code.replace(README_URL, `'${server.url}/graphql'`)));
  return (await import(pathToFileURL(file).href)) as T;
}

/** What babel-plugin-relay does: the tagged query becomes its artifact, made by relay-compiler. */
function compileRelay(code: string): string {
  expect(code).toMatch(RELAY_TAG);
  return `import KeysQuery from '${pathToFileURL(RELAY_ARTIFACT).href}';\n${code.replace(RELAY_TAG, 'KeysQuery')}`;
}

interface ListKeys {
  listKeys(): Promise<{ keys: Key[]; error?: unknown; errors?: unknown }>;
}

describe('README clients', () => {
  it('has a set-up for each client, and Apollo is told every interface of schema.graphql', () => {
    expect([...blocks.keys()]).toEqual(CLIENTS);
    const schema = buildSchema(readFileSync(join(root, 'schema.graphql'), 'utf8'));
    const interfaces = Object.values(schema.getTypeMap()).filter(isInterfaceType);
    expect(interfaces.map((t) => t.name).sort()).toEqual(['ApiKey', 'Node']);
    for (const type of interfaces) {
      const names = schema.getPossibleTypes(type).map((t) => `'${t.name}'`).sort();
      expect(block('apollo')).toContain(`${type.name}: [${names.join(', ')}],`);
    }
  });

  it('each set-up type-checks as written, with the project’s strict settings', () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const dir = mkdtempSync(join(ARTIFACTS, 'typecheck-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const files = CLIENTS.map((name) => {
      const file = join(dir, `${name}.ts`);
      writeFileSync(file, block(name));
      return file;
    });
    const tsconfig = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
    const program = ts.createProgram(files, { ...tsconfig!.options, noEmit: true });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
  });

  it('Apollo Client lists the keys of both providers and renames one, in its cache too', async () => {
    const server = await serveDemo();
    const expected = (await direct<{ apiKeys: { nodes: Key[] } }>(server, LIST)).data!.apiKeys.nodes;
    expect(new Set(expected.map((k) => k.provider))).toEqual(new Set(['OCTOPUS', 'HYPERSTACK']));
    expect(expected.some((k) => k.purpose)).toBe(true);

    const apollo = await load<
      ListKeys & {
        client: { cache: { extract(): Record<string, { name?: string } | undefined> } };
        renameHyperstackKey(id: string, name: string): Promise<Key>;
      }
    >('apollo', server);
    const { keys, error } = await apollo.listKeys();
    expect(error).toBeUndefined();
    expect(keys.map(plain)).toEqual(expected);

    const hyperstack = expected.find((k) => k.provider === 'HYPERSTACK')!;
    const renamed = await apollo.renameHyperstackKey(hyperstack.id, 'renamed-by-apollo');
    expect(plain(renamed)).toEqual({ ...hyperstack, name: 'renamed-by-apollo' });
    expect(apollo.client.cache.extract()[`HyperstackApiKey:${hyperstack.id}`]?.name).toBe('renamed-by-apollo');
    const after = (await direct<{ apiKeys: { nodes: Key[] } }>(server, LIST)).data!.apiKeys.nodes;
    expect(after.find((k) => k.id === hyperstack.id)?.name).toBe('renamed-by-apollo');
  });

  it('Apollo Client without possibleTypes gets the keys back empty, as the README says', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    onTestFinished(() => warn.mockRestore());
    const server = await serveDemo();
    const apollo = await load<ListKeys>('apollo', server, (code) => {
      const without = code.replace(/\n {4}possibleTypes: \{[\s\S]*?\n {4}\},/, '');
      expect(without).not.toContain('possibleTypes');
      return without;
    });
    const { keys } = await apollo.listKeys();
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key.name).toBeUndefined();
    expect(String(warn.mock.calls[0]?.[0])).toContain('possibleTypes');
  });

  it('urql lists the keys of both providers and generates a Hyperstack key', async () => {
    const server = await serveDemo();
    const expected = (await direct<{ apiKeys: { nodes: Key[] } }>(server, LIST)).data!.apiKeys.nodes;
    const urql = await load<ListKeys & { generateHyperstackKey(name: string): Promise<{ secret: string; apiKey: Key }> }>('urql', server);
    const { keys, error } = await urql.listKeys();
    expect(error).toBeUndefined();
    expect(keys.map(plain)).toEqual(expected);

    const created = await urql.generateHyperstackKey('made-by-urql');
    expect(created.secret).toMatch(/^\S{16,}$/);
    expect(plain(created.apiKey)).toMatchObject({ provider: 'HYPERSTACK', name: 'made-by-urql' });
    const listed = (await urql.listKeys()).keys.map(plain);
    expect(listed).toContainEqual(plain(created.apiKey));
  });

  it('urql with its default method sends queries by GET, and every one is refused (403)', async () => {
    const server = await serveDemo();
    const urql = await load<ListKeys>('urql', server, (code) => {
      const without = code.replace(/\n {2}preferGetMethod: false,/, '');
      expect(without).not.toContain('preferGetMethod');
      return without;
    });
    const refusal = (await urql.listKeys().then(
      () => undefined,
      (error: unknown) => error,
    )) as { message: string; response?: { status: number } } | undefined;
    expect(refusal?.response?.status).toBe(403);
    expect(refusal?.message).toContain('x-graphql-yoga-csrf');
  });

  it('the Relay artifact is the README query, compiled against schema.graphql', () => {
    const query = RELAY_TAG.exec(block('relay'))?.[1] ?? '';
    const schema = buildSchema(readFileSync(join(root, 'schema.graphql'), 'utf8'));
    const compiled = parse(KeysQuery.params.text!);
    expect(validate(schema, compiled)).toEqual([]);
    // relay-compiler adds __typename where a selection is abstract, and nothing else here.
    const withoutTypename = visit(compiled, { Field: (node) => (node.name.value === '__typename' ? null : undefined) });
    expect(print(withoutTypename)).toBe(print(parse(query)));
  });

  it('Relay lists the keys of both providers through its network layer and store', async () => {
    const server = await serveDemo();
    const expected = (await direct<{ apiKeys: { nodes: Key[] } }>(server, LIST)).data!.apiKeys.nodes;
    const relay = await load<{
      listKeys(): Promise<{ apiKeys: { nodes: Key[] } }>;
      environment: { getStore(): { getSource(): { getRecordIDs(): string[] } } };
    }>('relay', server, compileRelay);
    const data = await relay.listKeys();
    expect(data.apiKeys.nodes.map(plain)).toEqual(expected);
    // The keys were normalized into Relay's store, by their ids.
    expect(relay.environment.getStore().getSource().getRecordIDs()).toEqual(expect.arrayContaining(expected.map((k) => k.id)));
  });

  it('fetch lists the keys of both providers and creates an Octopus key', async () => {
    const server = await serveDemo();
    const expected = (await direct<{ apiKeys: { nodes: Key[] } }>(server, LIST)).data!.apiKeys.nodes;
    const plainFetch = await load<ListKeys & { createOctopusKey(purpose: string): Promise<{ secret: string; apiKey: Key }> }>('fetch', server);
    const { keys, errors } = await plainFetch.listKeys();
    expect(errors).toBeUndefined();
    expect(keys.map(plain)).toEqual(expected);

    const created = await plainFetch.createOctopusKey('made by fetch');
    expect(created.secret).toMatch(/^API-\w+$/);
    expect(plain(created.apiKey)).toMatchObject({ provider: 'OCTOPUS', name: 'made by fetch' });
    expect((await plainFetch.listKeys()).keys.map((k) => k.id)).toContain(created.apiKey.id);
  });

  describe('with Hyperstack refusing the credential, each keeps the Octopus keys', () => {
    const edits: Record<ClientName, (code: string) => string> = { apollo: (c) => c, urql: (c) => c, relay: compileRelay, fetch: (c) => c };
    for (const name of CLIENTS) {
      it(name, async () => {
        const server = await serveDemo({ badHyperstackCredential: true });
        const reference = await direct<{ apiKeys: { nodes: Key[] } }>(server, LIST);
        expect(reference.errors?.map((e) => [e.extensions?.code, e.extensions?.provider])).toEqual([['UNAUTHENTICATED', 'HYPERSTACK']]);
        const expected = reference.data!.apiKeys.nodes;
        expect(expected.length).toBeGreaterThan(0);
        expect(expected.every((k) => k.provider === 'OCTOPUS')).toBe(true);

        const client = await load<{ listKeys(): Promise<unknown> }>(name, server, edits[name]);
        const result = (await client.listKeys()) as { keys?: Key[]; error?: unknown; errors?: unknown; apiKeys?: { nodes: Key[] } };
        expect((result.keys ?? result.apiKeys?.nodes ?? []).map(plain)).toEqual(expected);
        // Relay passes field errors to its logger; the others hand them back, naming the provider.
        if (name !== 'relay') expect(JSON.stringify(result.error ?? result.errors)).toContain('HYPERSTACK');
      });
    }
  });
});
