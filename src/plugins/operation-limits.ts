import { EnvelopArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, type ValidationContext, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';

type GraphQLArmorRejectCallback = (context: ValidationContext | null, error: GraphQLError) => void;

/**
 * Limits on the shape of an operation, enforced while parsing and validating, before anything
 * executes (so before any upstream call), by GraphQL Armor: depth, aliases, directives, tokens and
 * cost. Field suggestions ("Did you mean …?") are blocked so the schema cannot be mapped through
 * error messages when introspection is off. Every refusal names the limit: GRAPHQL_PARSE_FAILED for
 * the token count, GRAPHQL_VALIDATION_FAILED for the others.
 */
export function useOperationLimits(limits: Config['limits']): Plugin[] {
  const armor = new EnvelopArmor({
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true, ...asValidationError },
    maxAliases: { n: limits.maxAliases, ...asValidationError },
    maxDirectives: { n: limits.maxDirectives, ...asValidationError },
    // Counted while parsing, before there is a document to validate: a parse failure.
    maxTokens: { n: limits.maxTokens },
    costLimit: { maxCost: limits.maxCost, ignoreIntrospection: true, ...asValidationError },
    blockFieldSuggestion: { enabled: true },
  });
  return [
    ...(armor.protect().plugins as Plugin[]),
    { onParse: ({ parseFn, setParseFn }) => setParseFn(withinTheStack(parseFn)) },
    { onValidate: ({ addValidationRule }) => addValidationRule(KnownOperationTypes) },
  ];
}

/**
 * Armor's rules throw their refusal out of validation as a bare "Syntax Error: …", which yoga takes
 * for an error of the request rather than of the document, so it answered BAD_USER_INPUT. The
 * refusal is thrown here instead, marked as yoga marks a failed validation: GRAPHQL_VALIDATION_FAILED
 * (HTTP 400 under the GraphQL-over-HTTP media type), as the README promises for every request that
 * never executes. Thrown, not reported, so validation stops at the first limit crossed rather than
 * run every other rule over a document already refused.
 */
const asValidationError = {
  propagateOnRejection: false,
  onReject: [
    ((_context, error) => {
      throw new GraphQLError(error.message.replace(/^Syntax Error: /, ''), {
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { spec: true, status: 400 } },
      });
    }) satisfies GraphQLArmorRejectCallback,
  ],
};

/**
 * graphql-js parses nested values (`[[[…]]]`) and selections by recursion, so a document nested
 * deep enough exhausts the stack before the token limit ends it (about 2,000 levels in a process
 * that has not warmed up, fewer tokens than MAX_TOKENS allows). The RangeError became an
 * INTERNAL_SERVER_ERROR with a stack in the log; it is a parse failure like any other.
 */
function withinTheStack<Parse extends (...args: never[]) => unknown>(parse: Parse): Parse {
  return ((...args: Parameters<Parse>) => {
    try {
      return parse(...args);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new GraphQLError('Syntax Error: the document is nested too deeply to read: send a flatter one.');
    }
  }) as Parse;
}

/**
 * An operation type the schema has no root for (keygate has no subscriptions) is a validation error.
 * graphql-js 16 lets it through to execution, where graphql-jit throws, which would answer an
 * INTERNAL_SERVER_ERROR and log a stack for every such request.
 */
const KnownOperationTypes: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (!context.getSchema().getRootType(node.operation)) {
      context.reportError(new GraphQLError(`This API has no ${node.operation} operations: send a query or a mutation.`, { nodes: node }));
    }
  },
});
