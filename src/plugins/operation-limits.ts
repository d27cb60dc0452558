import { EnvelopArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';

/**
 * Limits on the shape of an operation, enforced while parsing and validating, before anything
 * executes (so before any upstream call), by GraphQL Armor: depth, aliases, directives, tokens and
 * cost. Field suggestions ("Did you mean …?") are blocked so the schema cannot be mapped through
 * error messages when introspection is off. Every refusal is a GRAPHQL_VALIDATION_FAILED error
 * that names the limit.
 */
export function useOperationLimits(limits: Config['limits']): Plugin[] {
  const armor = new EnvelopArmor({
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true },
    maxAliases: { n: limits.maxAliases },
    maxDirectives: { n: limits.maxDirectives },
    maxTokens: { n: limits.maxTokens },
    costLimit: { maxCost: limits.maxCost, ignoreIntrospection: true },
    blockFieldSuggestion: { enabled: true },
  });
  return [...(armor.protect().plugins as Plugin[]), { onValidate: ({ addValidationRule }) => addValidationRule(KnownOperationTypes) }];
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
