import { GraphQLError, responsePathAsArray, type GraphQLResolveInfo } from 'graphql';
import type { GatewayContext } from '../context.js';

/**
 * Wraps a mutation's resolver so the field writes its audit event, whatever its outcome. Every
 * mutation field uses it: one event per field, with what the services learned about the key.
 */
export function audited<Args, Result>(resolve: (args: Args, context: GatewayContext, info: GraphQLResolveInfo) => Promise<Result>) {
  return (_root: unknown, args: Args, context: GatewayContext, info: GraphQLResolveInfo): Promise<Result> =>
    context.audit.around(info, async () => {
      const result = await resolve(args, context, info);
      // A key made while its client went away: the secret reached no one, and the trail says so.
      if (context.request.signal.aborted && typeof (result as { secret?: unknown } | null)?.secret === 'string') {
        context.audit.append('the client had closed the request, so this key\'s secret reached no one: revoke the key');
      }
      return result;
    });
}

/** Errors of a field that still answers (a secret with a failure after it), beside its data. */
export function besideData(context: GatewayContext, info: GraphQLResolveInfo, errors: readonly GraphQLError[]): void {
  for (const error of errors) {
    context.partialErrors.push(new GraphQLError(error.message, { nodes: info.fieldNodes, path: responsePathAsArray(info.path), extensions: error.extensions }));
  }
}
