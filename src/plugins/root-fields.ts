import { Kind, getOperationAST, type DocumentNode, type FieldNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

/**
 * The fields an operation selects at its root, through inline fragments and fragment spreads, in
 * document order (each spread once). The limits that count root fields (key creations, lookups) and
 * the audit trail see exactly the fields that will run.
 */
export function rootFields(document: DocumentNode, operationName?: string | null): { operation?: OperationDefinitionNode; fields: FieldNode[] } {
  const operation = getOperationAST(document, operationName) ?? undefined;
  if (!operation) return { fields: [] };
  const fragments = new Map(
    document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d.selectionSet] as const] : [])),
  );
  const seen = new Set<string>();
  const fields: FieldNode[] = [];
  const visit = (set: SelectionSetNode): void => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) fields.push(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) visit(fragment);
      }
    }
  };
  visit(operation.selectionSet);
  return { operation, fields };
}

/** The key a field's result has in the response: its alias, else its name. */
export const responseKey = (field: FieldNode): string => field.alias?.value ?? field.name.value;
