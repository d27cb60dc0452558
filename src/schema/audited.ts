import { GraphQLError, responsePathAsArray, type GraphQLResolveInfo } from 'graphql';
import type { GatewayContext } from '../context.js';

/**
 * Wraps a mutation's resolver so the field writes its audit event, whatever its outcome. Every
 * mutation field uses it: one event per field, with what the services learned about the key.
 */
export function audited<Args, Result>(resolve: (args: Args, context: GatewayContext, info: GraphQLResolveInfo) => Promise<Result>) {
  return (_root: unknown, args: Args, context: GatewayContext, info: GraphQLResolveInfo): Promise<Result> =>
    context.audit.around(info, () => resolve(args, context, info));
}

/** Errors of a field that still answers (a secret with a failure after it), beside its data. */
export function besideData(context: GatewayContext, info: GraphQLResolveInfo, errors: readonly GraphQLError[]): void {
  for (const error of errors) {
    context.partialErrors.push(new GraphQLError(error.message, { nodes: info.fieldNodes, path: responsePathAsArray(info.path), extensions: error.extensions }));
  }
}
