import { EnvelopArmor } from '@escape.tech/graphql-armor';
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
  return armor.protect().plugins as Plugin[];
}
