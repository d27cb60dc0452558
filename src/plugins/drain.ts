import type { Plugin } from 'graphql-yoga';
import { shuttingDown } from '../errors.js';
import { countKeyCreations } from './create-limit.js';

/** Whether the gateway is shutting down. */
export class Drain {
  draining = false;
}

/**
 * Once shutdown has begun, refuses new key-creating operations (fields marked `createLimit`) with
 * HTTP 503 and Retry-After, before they call a provider: one that started now might still be
 * running when the grace period ends and its connection is cut, after the provider made the key
 * and before its secret reached anyone. Those already running finish; reads still run.
 */
export function useDrain(drain: Drain): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      if (!drain.draining || countKeyCreations(args.schema, args.document, args.operationName) === 0) return;
      setResultAndStopExecution({ data: null, errors: [shuttingDown({ http: true })] });
    },
  };
}
