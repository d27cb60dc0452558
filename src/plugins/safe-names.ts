import { GraphQLError, type ASTVisitor } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Names a client picks that graphql-jit would read as the prototype of a plain object:
 * - an alias `__proto__` below the top level: the compiled answer assigns it as the object's
 *   prototype, so the field vanishes from the answer (`createOctopusApiKey { __proto__: secret }`
 *   made a key and dropped its only secret). Aliases and variables beginning with `__` are
 *   refused at validation: GraphQL reserves such names for introspection anyway;
 * - a variable named after a member of Object.prototype (`$constructor`, `$toString`) and not
 *   given: read from the prototype instead of as absent. The variables are handed to execution in
 *   an object without a prototype.
 */
export function useSafeNames(): Plugin {
  return {
    onValidate: ({ addValidationRule }) => addValidationRule(ReservedNames),
    onExecute({ args }) {
      args.variableValues = Object.assign(Object.create(null) as Record<string, unknown>, args.variableValues);
    },
  };
}

function ReservedNames(context: { reportError(error: GraphQLError): void }): ASTVisitor {
  return {
    Field(node) {
      const alias = node.alias?.value;
      if (alias === undefined || !alias.startsWith('__')) return;
      context.reportError(
        new GraphQLError(`The alias "${alias}" begins with "__", which GraphQL reserves for its own names: choose another alias.`, { nodes: node.alias }),
      );
    },
    // `$__proto__`: the compiled code's assignment of its coerced value is ignored, so a resolver
    // met null for a String! argument (a TypeError, logged with its stack, on every request).
    VariableDefinition(node) {
      const name = node.variable.name.value;
      if (!name.startsWith('__')) return;
      context.reportError(
        new GraphQLError(`The variable "$${name}" begins with "__", which GraphQL reserves for its own names: choose another name.`, { nodes: node.variable }),
      );
    },
  };
}
