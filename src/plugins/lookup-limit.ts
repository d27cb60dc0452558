import { GraphQLError, Kind, type ValueNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { MAX_LOOKUPS } from '../domain.js';
import { rootFields } from './root-fields.js';

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
      const { operation, fields } = rootFields(args.document, args.operationName);
      if (operation?.operation !== 'query') return;
      const variables = (args.variableValues ?? {}) as Record<string, unknown>;
      // A variable the request leaves out takes its default from the document: count that too.
      const defaults = new Map(operation.variableDefinitions?.map((d) => [d.variable.name.value, d.defaultValue]));
      let count = 0;
      for (const field of fields) {
        if (!LOOKUP_FIELDS.has(field.name.value)) continue;
        count += field.name.value === 'nodes' ? listLength(field.arguments?.find((a) => a.name.value === 'ids')?.value, variables, defaults) : 1;
      }
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

function listLength(value: ValueNode | undefined, variables: Record<string, unknown>, defaults: Map<string, ValueNode | undefined>): number {
  if (!value) return 0;
  if (value.kind === Kind.LIST) return value.values.length;
  if (value.kind === Kind.NULL) return 0;
  if (value.kind === Kind.VARIABLE) {
    const name = value.name.value;
    if (!Object.hasOwn(variables, name)) return listLength(defaults.get(name), variables, defaults);
    const given = variables[name];
    return Array.isArray(given) ? given.length : given === undefined || given === null ? 0 : 1;
  }
  return 1; // a single value coerced to a list of one
}
