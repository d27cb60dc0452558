import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import type { Plugin } from 'graphql-yoga';

/**
 * Trusted-documents mode: only operations listed in PERSISTED_OPERATIONS_FILE run. A client sends
 * the operation's id, as `documentId` (GraphQL over HTTP) or as
 * `extensions.persistedQuery.sha256Hash` (Apollo's format); any other document is refused.
 */
export function useTrustedDocuments(documents: Map<string, string>): Plugin {
  return usePersistedOperations({
    allowArbitraryOperations: false,
    getPersistedOperation: (id) => documents.get(id) ?? null,
    extractPersistedOperationId: (params) => {
      const documentId = (params as { documentId?: unknown }).documentId;
      if (typeof documentId === 'string') return documentId;
      const hash = (params.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined)?.sha256Hash;
      return typeof hash === 'string' ? hash : null;
    },
    customErrors: {
      persistedQueryOnly: {
        message: 'This gateway only runs trusted operations: send a documentId listed in its PERSISTED_OPERATIONS_FILE.',
        extensions: { code: 'PERSISTED_QUERY_ONLY', http: { status: 400 } },
      },
      // No query and no id a string could be (`documentId: 5`, or an empty body): what to send.
      keyNotFound: {
        message: 'This gateway only runs trusted operations: send a documentId (a string) listed in its PERSISTED_OPERATIONS_FILE.',
        extensions: { code: 'PERSISTED_QUERY_ONLY', http: { status: 400 } },
      },
      notFound: {
        message: 'Unknown operation id: it is not in this gateway\'s trusted documents.',
        extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', http: { status: 400 } },
      },
    },
  }) as Plugin;
}
