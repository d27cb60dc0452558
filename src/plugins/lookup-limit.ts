import { GraphQLError, Kind, getOperationAST, type DocumentNode, type SelectionSetNode, type ValueNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { MAX_LOOKUPS } from '../domain.js';

const LOOKUP_FIELDS = new Set(['node', 'apiKey', 'nodes']);

/**
 * Bounds the keys one operation may look up by id, counted across aliases and fragments before
 * anything executes: every id of every `nodes`, plus each `node` and `apiKey`. Each id of another
 * Octopus user can cost an upstream call, so 15 aliases of `nodes(ids: [100 ids])` would otherwise
 * be 1,500 calls. The per-field limit in the schema alone does not see aliases.
 */
export function useLookupLimit(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      // Only the root selection is walked (lookups are root fields): cheap enough for every request.
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'query') return;
      const count = countLookups(operation.selectionSet, args.document, (args.variableValues ?? {}) as Record<string, unknown>);
      if (count <= MAX_LOOKUPS) return;
      setResultAndStopExecution({
        errors: [
          new GraphQLError(
            `This operation looks up ${count} keys by id; at most ${MAX_LOOKUPS} are allowed in one operation (node, apiKey and nodes together, across aliases).`,
            { extensions: { code: 'BAD_USER_INPUT' } },
          ),
        ],
      });
    },
  };
}

function countLookups(root: SelectionSetNode, document: DocumentNode, variables: Record<string, unknown>): number {
  const fragments = new Map(
    document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d.selectionSet] as const] : [])),
  );
  const visit = (set: SelectionSetNode, seen: Set<string>): number =>
    set.selections.reduce((sum, selection) => {
      if (selection.kind === Kind.INLINE_FRAGMENT) return sum + visit(selection.selectionSet, seen);
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || seen.has(selection.name.value)) return sum;
        return sum + visit(fragment, new Set([...seen, selection.name.value]));
      }
      if (!LOOKUP_FIELDS.has(selection.name.value)) return sum;
      if (selection.name.value !== 'nodes') return sum + 1;
      const ids = selection.arguments?.find((a) => a.name.value === 'ids')?.value;
      return sum + listLength(ids, variables);
    }, 0);
  return visit(root, new Set());
}

function listLength(value: ValueNode | undefined, variables: Record<string, unknown>): number {
  if (!value) return 0;
  if (value.kind === Kind.LIST) return value.values.length;
  if (value.kind === Kind.VARIABLE) {
    const given = variables[value.name.value];
    return Array.isArray(given) ? given.length : given === undefined || given === null ? 0 : 1;
  }
  return 1; // a single value coerced to a list of one
}
