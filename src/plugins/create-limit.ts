import type { DocumentNode, GraphQLSchema } from 'graphql';
import { rootFields } from './root-fields.js';

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
  const { operation, fields } = rootFields(document, operationName);
  if (operation?.operation !== 'mutation') return 0;
  return fields.filter((field) => marks.has(field.name.value)).length;
}
