import type { GraphQLResolveInfo } from 'graphql';
import type { GatewayContext } from '../context.js';

/**
 * Wraps a mutation's resolver so the field writes its audit event, whatever its outcome. Every
 * mutation field uses it: one event per field, with what the services learned about the key.
 */
export function audited<Args, Result>(resolve: (args: Args, context: GatewayContext) => Promise<Result>) {
  return (_root: unknown, args: Args, context: GatewayContext, info: GraphQLResolveInfo): Promise<Result> =>
    context.audit.around(info, () => resolve(args, context));
}
