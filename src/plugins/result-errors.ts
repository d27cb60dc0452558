import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../context.js';
import { limitToGraphQLError, upstreamToGraphQLError, withCode, withoutSecrets } from '../errors.js';
import { UpstreamError } from '../upstream/errors.js';

/**
 * Shapes the errors of an execution result, before yoga's masking sees them:
 * - an upstream failure thrown by a resolver becomes its GraphQL error (code, provider, status),
 *   so masking sees an ordinary GraphQL error and does not log it as a crash; so do keygate's own
 *   limits met below the schema (the call budget, the heavy-list queue);
 * - a variable graphql-jit refused (its errors have no extensions and no cause) becomes a
 *   BAD_USER_INPUT error here, for the same reason;
 * - a variable our own scalar refused keeps our explanation: graphql-jit reports it as
 *   "…; Expected type DateTime." and holds the reason (a missing zone, say) only as the cause;
 * - errors of fields that still answered (one provider down, the other's keys shown) are appended:
 *   graphql-js only records an error when a resolver throws, which would drop the data.
 * Validation's errors never reach yoga's maskError, which cuts secrets from every other message:
 * they echo literals too ("Int cannot represent non-integer value: …"), so they are cut here.
 */
export function useResultErrors(): Plugin {
  return {
    onValidate() {
      return ({ result }) => {
        for (const error of result) withoutSecrets(error);
      };
    },
    onExecute() {
      return {
        onExecuteDone({ args, result, setResult }) {
          if (Symbol.asyncIterator in result) return;
          const partial = (args.contextValue as GatewayContext).partialErrors;
          if (!result.errors?.length && partial.length === 0) return;
          setResult({ ...result, errors: [...(result.errors ?? []).map(shape), ...partial] });
        },
      };
    },
  };
}

function shape(error: GraphQLError): GraphQLError {
  const cause = error.originalError;
  if (!cause) return withCode(error);
  if (cause instanceof UpstreamError) return upstreamToGraphQLError(cause, error);
  const limit = limitToGraphQLError(cause);
  if (limit) return new GraphQLError(limit.message, { nodes: error.nodes, path: error.path, extensions: limit.extensions });
  if (cause instanceof GraphQLError && cause !== error && !error.message.includes(cause.message)) {
    return new GraphQLError(`${error.message} ${cause.message}`, {
      nodes: error.nodes,
      path: error.path,
      extensions: { ...cause.extensions, ...error.extensions },
    });
  }
  return error;
}
