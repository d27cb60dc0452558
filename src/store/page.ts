/** A Relay-style page of a store list, newest first. Cursors are opaque; pass `endCursor` as `after`. */
export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/** The page of `first` rows out of `rows`, which a query fetched with `limit(first + 1)` to see whether more follow. */
export function pageOf<Row, T>(rows: readonly Row[], first: number, cursorOf: (row: Row) => string, nodeOf: (row: Row) => T): Page<T> {
  const edges = rows.slice(0, first).map((row) => ({ cursor: cursorOf(row), node: nodeOf(row) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
