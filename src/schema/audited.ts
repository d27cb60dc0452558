import { GraphQLError, responsePathAsArray, type GraphQLResolveInfo } from 'graphql';
import type { GatewayContext } from '../context.js';

/**
 * Wraps a mutation's resolver so the field writes its audit event, whatever its outcome. Every
 * mutation field uses it: one event per field, with what the services learned about the key.
 *
 * Once shutdown has begun, a field after one that made a key is refused before it starts (see
 * CreateGate.checkCall, which every call of the request asks too).
 */
export function audited<Args, Result>(resolve: (args: Args, context: GatewayContext, info: GraphQLResolveInfo) => Promise<Result>) {
  return (_root: unknown, args: Args, context: GatewayContext, info: GraphQLResolveInfo): Promise<Result> =>
    context.audit.around(info, () => {
      context.apiKeys.gate?.checkCall();
      return resolve(args, context, info);
    });
}

/** Errors of a field that still answers (a secret with a failure after it), beside its data. */
export function besideData(context: GatewayContext, info: GraphQLResolveInfo, errors: readonly GraphQLError[]): void {
  for (const error of errors) {
    context.partialErrors.push(new GraphQLError(error.message, { nodes: info.fieldNodes, path: responsePathAsArray(info.path), extensions: error.extensions }));
  }
}
