// Whether a key may still be created for this request. Asked just before each create reaches a
// provider, not once per operation: a mutation may hold several creates, run one after another, and
// one that starts after the client has gone or shutdown has begun makes a key whose secret can reach
// no one (the client is not there to read it; the connection is cut when the grace period ends).
import { gatewayError, shuttingDown } from '../errors.js';

export interface CreateGate {
  /** Throws the refusal when a create may not start now (before any call, so no key is made). */
  check(): void;
  /** Whether the request is ending (client gone, shutdown begun): no further provider write should start. */
  ending(): boolean;
  /** Whether shutdown has begun: the connection is cut when the grace period ends. */
  shuttingDown(): boolean;
}

/** Refuses a create once the client has gone or shutdown has begun. */
export function createGate(signal: AbortSignal, drain?: { readonly draining: boolean }): CreateGate {
  return {
    check() {
      if (signal.aborted) throw gatewayError('SERVICE_UNAVAILABLE', 'The client closed the request before this key was created: no key was made.');
      if (drain?.draining) throw shuttingDown();
    },
    ending: () => signal.aborted || drain?.draining === true,
    shuttingDown: () => drain?.draining === true,
  };
}
