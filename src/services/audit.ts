// The audit trail of one request: one event per mutation field, whatever its outcome, holding hints
// only. Mutation fields run one after another (GraphQL's rule for mutations), so "the field running
// now" is well defined: services note what they learn about the key while it runs, and the event is
// written when it ends.
import { GraphQLError, type GraphQLResolveInfo } from 'graphql';
import type { Provider } from '../domain.js';
import type { AuditEventInput, AuditTrail } from '../store/index.js';
import { UpstreamError } from '../upstream/errors.js';
import { CallBudgetExceeded } from '../upstream/loaders.js';

/** What a service knows about the key a mutation acts on. */
export type AuditDetails = Partial<Pick<AuditEventInput, 'provider' | 'account' | 'keyId' | 'keyName' | 'keyHint' | 'detail'>>;

/** The code an operation ended with: `OK`, or the code a client saw. */
export function outcomeOf(error: unknown): string {
  if (error === undefined) return 'OK';
  if (error instanceof UpstreamError) return error.code;
  if (error instanceof CallBudgetExceeded) return 'BAD_USER_INPUT';
  if (error instanceof GraphQLError) {
    // graphql-jit's own errors (a variable of the wrong type) carry no extensions at all.
    const code = error.extensions?.code;
    if (typeof code === 'string') return code;
    if (error.originalError && error.originalError !== error) return outcomeOf(error.originalError);
    // One with neither is graphql-jit refusing a variable (an unknown input field, say): the client's
    // input, as the client is told (withCode).
    if ((error.extensions as unknown) === undefined) return 'BAD_USER_INPUT';
  }
  return 'INTERNAL_SERVER_ERROR';
}

/** The detail of an UNDELIVERED event: a key was made, and the answer holding its secret was never sent. */
export const UNDELIVERED_DETAIL = "the client closed the request before keygate's answer was sent: this key's secret reached no one; revoke the key";

/** The detail of a create whose outcome is unknown: a key may exist that no one holds the secret of. */
export const MAY_HAVE_CREATED_DETAIL = 'the provider may have made the key: look for it by name, and revoke it if its secret reached no one';

/** A key made in this request: its event, and what to do if its secret is never delivered. */
interface MadeKey {
  event: { operation: string } & AuditDetails;
  hook?: () => Promise<void>;
}

export class RequestAudit {
  /** Response keys of the fields already written, so the plugin writes the rest (refused before they ran). */
  readonly recorded = new Set<string>();
  private current?: AuditDetails;
  /** The key the running field made, when it is not the key it acts on (a rotation's replacement). */
  private currentMade?: AuditDetails;
  /** What the running field asked to be done if its secret is never delivered (see onUndelivered). */
  private currentHook?: () => Promise<void>;
  /** Keys made in this request whose answer is not sent yet (see undeliveredAll). */
  private readonly madeKeys: MadeKey[] = [];

  constructor(
    private readonly trail: AuditTrail | undefined,
    readonly who: { requestId?: string; client: string },
    /** The request's signal: aborted when the client leaves before the answer is written (never after). */
    private readonly signal?: AbortSignal,
  ) {}

  /** Runs one mutation field, and writes its event when it ends: OK, or the code it failed with. */
  async around<T>(info: GraphQLResolveInfo, run: () => Promise<T>): Promise<T> {
    this.current = {};
    this.currentMade = undefined;
    this.currentHook = undefined;
    let failure: unknown;
    try {
      const result = await run();
      if (typeof (result as { secret?: unknown } | null)?.secret === 'string') this.madeSecret({ event: { operation: info.fieldName, ...this.current, ...(this.currentMade ?? {}) }, hook: this.currentHook });
      return result;
    } catch (error) {
      failure = error;
      // The trail must tell "may have made a key" from "made nothing", also when no one reads the answer.
      if ((error as { extensions?: { mayHaveCreated?: unknown } }).extensions?.mayHaveCreated === true) this.append(MAY_HAVE_CREATED_DETAIL);
      throw error;
    } finally {
      const details = this.current;
      this.current = undefined;
      this.recorded.add(String(info.path.key));
      void this.record({ operation: info.fieldName, outcome: outcomeOf(failure), ...details });
    }
  }

  /**
   * Runs `hook` if the secret the running field returns never reaches the client: at once when the
   * client has already left (its promise is returned), or when it leaves before the answer is
   * written. A rotation uses it to keep its old key, the only one anyone then holds.
   */
  onUndelivered(hook: () => Promise<void>): Promise<void> | undefined {
    if (this.signal?.aborted) return hook();
    if (this.current) this.currentHook = hook;
    return undefined;
  }

  /** Whether the client has left: an answer written now reaches no one. */
  get clientGone(): boolean {
    return this.signal?.aborted === true;
  }

  /**
   * The key the running field made, when its event names another (a rotation names the old key): an
   * UNDELIVERED event names this one, the key whose secret reached no one.
   */
  noteMade(details: AuditDetails): void {
    if (this.current) this.currentMade = details;
  }

  /** Adds what a service learned about the key the running field acts on. */
  note(details: AuditDetails): void {
    if (this.current) Object.assign(this.current, details);
  }

  /**
   * The client closed the request before its answer was sent (the request's signal, which stops
   * firing once the response is written): every key made in it got its secret to no one. Each gets
   * an UNDELIVERED event beside its own, so the trail says which keys to revoke.
   */
  private undeliveredAll(): void {
    for (const made of this.madeKeys.splice(0)) this.undelivered(made);
  }

  /** Listens for the client leaving only once a key is made: reads pay nothing for it. */
  private madeSecret(made: MadeKey): void {
    if (this.signal?.aborted) return this.undelivered(made);
    if (this.madeKeys.push(made) === 1) this.signal?.addEventListener('abort', () => this.undeliveredAll(), { once: true });
  }

  private undelivered({ event, hook }: MadeKey): void {
    void this.record({ ...event, outcome: 'UNDELIVERED', detail: event.detail ? `${UNDELIVERED_DETAIL} (${event.detail})` : UNDELIVERED_DETAIL });
    void hook?.();
  }

  /** Adds a sentence to the running field's detail, after what was noted before. */
  append(detail: string): void {
    if (this.current) this.current.detail = this.current.detail ? `${this.current.detail}; ${detail}` : detail;
  }

  /** Writes an event now. Never throws and never holds up the caller (the trail queues on failure). */
  record(event: { operation: string; outcome: string } & AuditDetails): Promise<void> {
    if (!this.trail) return Promise.resolve();
    return this.trail.record({
      ...event,
      requestId: this.who.requestId,
      client: this.who.client,
      provider: (event.provider ?? null) as Provider | null,
    });
  }
}
