import { GraphQLError, Kind, getNamedType, isObjectType, type ASTVisitor, type SelectionSetNode, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * A mutation that mints a key must ask for its secret, always. GraphQL answers only what is selected:
 * `createOctopusApiKey(…) { apiKey { id } }`, or `secret @include(if: $show)` with `$show: false`,
 * would make the key and throw the only copy of its secret away (and a rotation would then revoke
 * the old key, leaving only a key nobody can use). Refused at validation, before anything runs.
 * Which fields mint a key is read from the schema: a payload type with a `secret` field.
 */
export function useSecretSelected(): Plugin {
  return { onValidate: ({ addValidationRule }) => addValidationRule(SecretSelected) };
}

function SecretSelected(context: ValidationContext): ASTVisitor {
  return {
    Field(node) {
      const type = getNamedType(context.getType());
      if (!isObjectType(type) || !type.getFields().secret || !node.selectionSet) return;
      if (selectsAlways(context, node.selectionSet, new Set())) return;
      context.reportError(
        new GraphQLError(
          `\`${node.name.value}\` makes a key whose secret is shown only in its answer: select \`secret\`, without @skip or @include, or the secret is lost.`,
          { nodes: node },
        ),
      );
    },
  };
}

/** Whether `secret` is in the selection whatever the variables are: no @skip/@include on the way. */
function selectsAlways(context: ValidationContext, set: SelectionSetNode, seen: Set<string>): boolean {
  return set.selections.some((selection) => {
    if (selection.directives?.some((d) => d.name.value === 'skip' || d.name.value === 'include')) return false;
    if (selection.kind === Kind.FIELD) return selection.name.value === 'secret';
    if (selection.kind === Kind.INLINE_FRAGMENT) return selectsAlways(context, selection.selectionSet, seen);
    const name = selection.name.value;
    if (seen.has(name)) return false; // a cycle: reported by graphql's own rules
    seen.add(name);
    const fragment = context.getFragment(name);
    return fragment != null && selectsAlways(context, fragment.selectionSet, seen);
  });
}
