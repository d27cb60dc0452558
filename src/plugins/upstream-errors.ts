import type { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../context.js';
import { upstreamToGraphQLError } from '../errors.js';
import { UpstreamError } from '../upstream/errors.js';

/**
 * Shapes the errors of an execution result:
 * - an upstream failure thrown by a resolver becomes its GraphQL error (code, provider, status)
 *   here, so yoga's masking sees an ordinary GraphQL error and does not log it as a crash;
 * - errors of fields that still answered (one provider down, the other's keys shown) are appended:
 *   graphql-js only records an error when a resolver throws, which would drop the data.
 */
export function useUpstreamErrors(): Plugin {
  return {
    onExecute() {
      return {
        onExecuteDone({ args, result, setResult }) {
          if (Symbol.asyncIterator in result) return;
          const partial = (args.contextValue as GatewayContext).partialErrors;
          if (!result.errors?.length && partial.length === 0) return;
          const errors: GraphQLError[] = (result.errors ?? []).map((error) =>
            error.originalError instanceof UpstreamError ? upstreamToGraphQLError(error.originalError, error) : error,
          );
          setResult({ ...result, errors: [...errors, ...partial] });
        },
      };
    },
  };
}
