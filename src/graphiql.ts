import { renderGraphiQL as render } from '@graphql-yoga/render-graphiql';
import type { GraphiQLOptions } from 'graphql-yoga';

/** What GraphiQL opens on: the unified list of keys at both providers. */
export const DEFAULT_QUERY = /* GraphQL */ `# Every API key you hold at Octopus Deploy and Hyperstack, newest first.
# Press the play button (or Ctrl-Enter). Other tabs hold an example of every query and mutation.
query ApiKeys {
  apiKeys(first: 20) {
    totalCount
    unavailableProviders
    nodes {
      id
      provider
      name
      description
      createdAt
      expiresAt
      keyHint
    }
    pageInfo { hasNextPage endCursor }
  }
}
`;

export const graphiqlOptions: GraphiQLOptions = {
  title: 'keygate',
  defaultQuery: DEFAULT_QUERY,
};

let page: string | undefined;

/**
 * GraphiQL with its scripts inlined (no CDN: works with no internet access). The page is ~9 MB,
 * so it is rendered once, not per visit.
 */
export function renderGraphiQL(options: GraphiQLOptions): string {
  page ??= render(options);
  return page;
}
