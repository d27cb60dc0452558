// Whether a key may still be created for this request, and whether it may still call a provider at
// all. Asked just before each create (and each call) is sent, not once per operation: a mutation
// may hold several creates, run one after another, and one that starts after the client has gone or
// shutdown has begun makes a key whose secret can reach no one (the client is not there to read it;
// the connection is cut when the grace period ends).
import { HOLDING_A_SECRET, gatewayError, shuttingDown } from '../errors.js';

export interface CreateGate {
  /** Throws the refusal when a create may not start now (before any call, so no key is made). */
  check(): void;
  /** Whether the request is ending (client gone, shutdown begun): no further provider write should start. */
  ending(): boolean;
  /** A create of this request has answered: the response now holds a new key's secret. */
  madeKey(): void;
  /**
   * Throws when shutdown has begun and this request holds a new key's secret: the grace period
   * covers one create, so no further call may hold back the answer until the connection is cut.
   */
  checkCall(): void;
}

/** Refuses a create once the client has gone or shutdown has begun, and any call once a secret is held at shutdown. */
export function createGate(signal: AbortSignal, drain?: { readonly draining: boolean }): CreateGate {
  let holdsSecret = false;
  return {
    check() {
      if (signal.aborted) throw gatewayError('SERVICE_UNAVAILABLE', 'The client closed the request before this key was created: no key was made.');
      if (drain?.draining) throw shuttingDown();
    },
    ending: () => signal.aborted || drain?.draining === true,
    madeKey() {
      holdsSecret = true;
    },
    checkCall() {
      if (holdsSecret && drain?.draining) throw shuttingDown({ message: HOLDING_A_SECRET });
    },
  };
}
