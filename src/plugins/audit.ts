import type { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../context.js';
import type { Provider } from '../domain.js';
import { outcomeOf } from '../services/audit.js';
import { responseKey, rootFields } from './root-fields.js';

/**
 * Every mutation field writes one audit event. Those that ran wrote theirs as they ended (see
 * RequestAudit.around); this writes one for each field refused before it ran, by keygate's own
 * limits (the create rate limit, a shutdown) or by its arguments, with the code it was refused
 * with. It must come before the plugins that can stop an execution, so it sees their result.
 */
export function useAudit(): Plugin {
  return {
    onExecute({ args }) {
      const { operation, fields } = rootFields(args.document, args.operationName);
      if (operation?.operation !== 'mutation') return;
      return {
        onExecuteDone({ args: { contextValue, schema }, result }) {
          if (Symbol.asyncIterator in result) return;
          const { audit } = contextValue as GatewayContext;
          const mutations = schema.getMutationType()?.getFields() ?? {};
          for (const field of fields) {
            const key = responseKey(field);
            if (audit.recorded.has(key) || field.name.value === '__typename') continue;
            audit.recorded.add(key);
            const error = errorFor(result.errors, key);
            const provider = mutations[field.name.value]?.extensions.auditProvider as Provider | undefined;
            void audit.record({ operation: field.name.value, outcome: error ? outcomeOf(error) : 'OK', provider, detail: 'refused before it ran' });
          }
        },
      };
    },
  };
}

/** The error of one root field, or the operation's own (a refusal of the whole operation has no path). */
function errorFor(errors: readonly GraphQLError[] | undefined, key: string): GraphQLError | undefined {
  return errors?.find((e) => e.path?.[0] === key) ?? errors?.find((e) => !e.path?.length);
}
