// GraphiQL as served: offline, titled keygate, and every example tab valid and runnable in the demo.
import { parse, validate, type OperationDefinitionNode } from 'graphql';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { DEFAULT_QUERY, EXAMPLES, HEADERS_NOTE } from '../src/graphiql.js';
import { buildSchema } from '../src/schema/index.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

interface Tab {
  query: string;
  variables: string | null;
  headers: string | null;
}
interface PageOptions {
  title: string;
  defaultQuery: string;
  defaultTabs: Tab[];
  headers: string;
  defaultHeaders: string;
  shouldPersistHeaders: boolean;
}

/**
 * JSON with `//` comments and trailing commas, as GraphiQL's editors accept it. Enough for our own
 * examples, whose comments are whole lines.
 */
function parseJsonc(text: string): unknown {
  const stripped = text
    .split('\n')
    .map((line) => line.replace(/^\s*\/\/.*$/, ''))
    .join('\n')
    .replace(/,(\s*[}\]])/g, '$1');
  return JSON.parse(stripped) as unknown;
}

const schema = buildSchema();
let t: TestGateway;
let html: string;
let response: Response;
let options: PageOptions;

// Each test its own gateway (the example tabs change the demo data), and the page as it serves it.
beforeEach(async () => {
  // The default simulators hold the demo's seed data, whose ids the examples use.
  const started = await startTestGateway({ env: { LOG_LEVEL: 'silent' } });
  onTestFinished(() => started.close());
  t = started;
  response = await t.gateway.yoga.fetch('http://keygate.test/graphql', { headers: { accept: 'text/html' } });
  html = await response.text();
  // The options as the browser gets them: the JSON yoga writes into the page's script.
  const embedded = /renderYogaGraphiQL\(\s*window\.document\.querySelector\('#root'\),\s*(\{[\s\S]*\}),\s*\);\s*<\/script>/.exec(html);
  if (!embedded) throw new Error('GraphiQL options not found in the page');
  options = JSON.parse(embedded[1]!) as PageOptions;
});

describe('the GraphiQL page', () => {
  it('is HTML titled keygate', () => {
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html).toContain('<title>keygate</title>');
    expect(options.title).toBe('keygate');
  });

  it('needs nothing from the internet: no external script, stylesheet, font or icon', () => {
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i); // every script is inline
    expect(html).not.toMatch(/<link[^>]*\shref=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import\s+(url\()?["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?(https?:)?\/\//i);
  });

  it('opens on the unified list and has a tab for every query and mutation', () => {
    expect(options.defaultTabs[0]!.query).toBe(DEFAULT_QUERY);
    expect(options.defaultQuery).toBe(DEFAULT_QUERY);
    const covered = new Set(
      options.defaultTabs.flatMap((tab) =>
        parse(tab.query).definitions.flatMap((d) =>
          d.kind === 'OperationDefinition' ? d.selectionSet.selections.map((s) => (s.kind === 'Field' ? s.name.value : '')) : [],
        ),
      ),
    );
    const roots = [...Object.keys(schema.getQueryType()!.getFields()), ...Object.keys(schema.getMutationType()!.getFields())];
    expect(roots.filter((field) => !covered.has(field))).toEqual([]);
    expect(options.defaultTabs).toHaveLength(EXAMPLES.length);
  });

  it('has one named, schema-valid operation per tab, with variables GraphiQL can parse', () => {
    for (const tab of options.defaultTabs) {
      const document = parse(tab.query);
      expect({ query: tab.query, errors: validate(schema, document).map((e) => e.message) }).toEqual({ query: tab.query, errors: [] });
      const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
      expect(operations).toHaveLength(1);
      expect(operations[0]!.name?.value).toMatch(/^[A-Z]\w+$/); // the tab's title
      if (tab.variables !== null) expect(parseJsonc(tab.variables)).toBeTypeOf('object');
    }
  });

  it('notes the credential headers in the headers editor without sending any', () => {
    for (const headers of [options.headers, options.defaultHeaders, ...options.defaultTabs.map((tab) => tab.headers)]) {
      expect(headers).toBe(HEADERS_NOTE);
    }
    expect(HEADERS_NOTE).toContain('"X-Octopus-ApiKey"');
    expect(HEADERS_NOTE).toContain('"X-Hyperstack-Api-Key"');
    expect(parseJsonc(HEADERS_NOTE)).toEqual({}); // all commented out: no header is sent as is
  });

  it('keeps headers (which may hold a provider key) out of the browser storage', () => {
    expect(options.shouldPersistHeaders).toBe(false);
  });
});

describe('the example tabs, run in order against the demo data', () => {
  it('every tab runs as written, without errors, and the mutations do what they say', async () => {
    const results: Record<string, Record<string, unknown>> = {};
    for (const tab of options.defaultTabs) {
      const variables = tab.variables === null ? undefined : (parseJsonc(tab.variables) as Record<string, unknown>);
      const { status, body } = await t.query(tab.query, variables, { 'x-graphql-yoga-csrf': 'graphiql' });
      const name = (parse(tab.query).definitions[0] as OperationDefinitionNode).name!.value;
      expect({ name, status, errors: body.errors }).toEqual({ name, status: 200, errors: undefined });
      // Every root field answered: the demo ids in the examples name real keys.
      expect({ name, data: Object.values(body.data!).filter((v) => v === null) }).toEqual({ name, data: [] });
      results[name] = body.data!;
    }

    const list = results.ApiKeys!.apiKeys as { nodes: { provider: string }[] };
    expect(new Set(list.nodes.map((k) => k.provider))).toEqual(new Set(['OCTOPUS', 'HYPERSTACK']));
    expect((results.Nodes!.nodes as unknown[]).every((n) => n !== null)).toBe(true);
    expect(results.CreateOctopusApiKey!.createOctopusApiKey).toMatchObject({ secret: expect.stringMatching(/^API-/) });
    expect(results.GenerateHyperstackApiKey!.generateHyperstackApiKey).toMatchObject({ secret: expect.any(String) });
    expect(results.UpdateHyperstackApiKey!.updateHyperstackApiKey).toMatchObject({ apiKey: { name: 'terraform-ci' } });
    expect(results.DeleteApiKey!.deleteApiKey).toMatchObject({ provider: 'OCTOPUS' });
  });
});
