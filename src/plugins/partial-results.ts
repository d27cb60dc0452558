import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../context.js';

/**
 * Appends the errors of fields that still answered (one provider down, the other's keys shown) to
 * the result. graphql-js only records an error when a resolver throws, which would drop the data.
 */
export function usePartialResults(): Plugin<GatewayContext> {
  return {
    onExecute() {
      return {
        onExecuteDone({ args, result, setResult }) {
          const extra = args.contextValue.partialErrors;
          if (extra.length === 0 || Symbol.asyncIterator in result) return;
          setResult({ ...result, errors: [...(result.errors ?? []), ...extra] });
        },
      };
    },
  };
}
