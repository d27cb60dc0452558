import { Kind, getOperationAST, type DocumentNode, type GraphQLSchema, type SelectionSetNode } from 'graphql';

/**
 * Mutations that mint a key carry `extensions: { createLimit: true }` in the schema (a Pothos field
 * extension). The create rate limit and the shutdown drain read that mark, so a new key-creating
 * mutation is limited the moment it is marked, with no list of names to keep in step.
 */
export function createLimitedFields(schema: GraphQLSchema): ReadonlySet<string> {
  let fields = marked.get(schema);
  if (!fields) {
    const mutations = Object.values(schema.getMutationType()?.getFields() ?? {});
    fields = new Set(mutations.filter((field) => field.extensions.createLimit === true).map((field) => field.name));
    marked.set(schema, fields);
  }
  return fields;
}

const marked = new WeakMap<GraphQLSchema, ReadonlySet<string>>();
// Yoga reuses parsed documents, so each document (and operation in it) is counted once.
const counted = new WeakMap<DocumentNode, Map<string, number>>();

/**
 * How many marked fields the executed operation selects at its root, aliases and fragments
 * included: each one creates a key.
 */
export function countKeyCreations(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): number {
  let byOperation = counted.get(document);
  if (!byOperation) counted.set(document, (byOperation = new Map()));
  const key = operationName ?? '';
  let count = byOperation.get(key);
  if (count === undefined) byOperation.set(key, (count = countIn(createLimitedFields(schema), document, operationName)));
  return count;
}

function countIn(marks: ReadonlySet<string>, document: DocumentNode, operationName?: string | null): number {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'mutation') return 0;
  const fragments = new Map(
    document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d.selectionSet] as const] : [])),
  );
  const seen = new Set<string>();
  const count = (set: SelectionSetNode): number =>
    set.selections.reduce((sum, selection) => {
      if (selection.kind === Kind.FIELD) return sum + (marks.has(selection.name.value) ? 1 : 0);
      if (selection.kind === Kind.INLINE_FRAGMENT) return sum + count(selection.selectionSet);
      const name = selection.name.value;
      if (seen.has(name)) return sum;
      seen.add(name);
      const fragment = fragments.get(name);
      return sum + (fragment ? count(fragment) : 0);
    }, 0);
  return count(operation.selectionSet);
}
