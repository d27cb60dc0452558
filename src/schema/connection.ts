import type { ObjectRef, SchemaTypes } from '@pothos/core';
import { builder } from './builder.js';

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T extends SchemaTypes> ? T : never;

/** A page as the store returns it: Relay edges with cursors, and PageInfo. */
export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/**
 * A Relay connection and its edge type for a list the store pages (audit events, rotations): edges
 * with cursors, the nodes alone, and PageInfo. `apiKeys` has its own, with fields only it has.
 */
export function connectionType<T extends object>(name: string, node: ObjectRef<Types, T>, what: { items: string; order: string }) {
  const edge = builder.objectRef<Page<T>['edges'][number]>(`${name}Edge`).implement({
    description: `One of the ${what.items} and its position.`,
    fields: (t) => ({
      cursor: t.exposeString('cursor', { description: 'Pass it as `after` for the ones after this one.' }),
      // Pothos cannot check a generic node type against its resolver result; `node` is typed by the caller.
      node: t.field({ type: node, description: 'The item.', resolve: (e) => e.node as never }),
    }),
  });
  return builder.objectRef<Page<T>>(`${name}Connection`).implement({
    description: `A page of ${what.items}, ${what.order}.`,
    fields: (t) => ({
      edges: t.field({ type: [edge], description: 'The items of this page, each with its cursor.', resolve: (p) => p.edges }),
      nodes: t.field({ type: [node], description: 'The items of this page.', resolve: (p) => p.edges.map((e) => e.node) as never }),
      pageInfo: t.field({ type: builder.pageInfoRef(), description: 'Whether more follow, and the cursors.', resolve: (p) => p.pageInfo }),
    }),
  });
}
