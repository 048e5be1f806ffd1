import type { EventSchemas } from './schema.ts';
import type { SnapshotPolicy } from './snapshot-policy.ts';

/** What `decide` returns when it refuses a command. Create one with `reject(reason)`. */
export interface Rejection {
  /** Why the command was refused, in the domain's words; it becomes the `RejectedError`'s `reason`. */
  readonly rejected: string;
}

/** The outcome of `decide`: the events to persist (possibly none), or a rejection. */
export type Decision<E> = readonly E[] | Rejection;

/**
 * An event-sourced entity, written as a decider: pure functions from a command and the current state to new
 * events, and from a state and an event to the next state.
 *
 * @typeParam S - the state, plain structured-cloneable data (it is stored in snapshots)
 * @typeParam C - the commands the entity accepts
 * @typeParam E - the events it records, plain structured-cloneable data
 */
export interface EntityDefinition<S, C, E> {
  /**
   * The state of an entity that has no events yet. Like every state, it is frozen deeply once the runtime holds it:
   * `decide` and `evolve` read states, and `evolve` returns a new one.
   */
  initialState(): S;
  /** Decides what a command means for the current state: the events to record, or `reject(reason)`. */
  decide(command: C, state: S): Decision<E>;
  /**
   * Applies one event to a state and returns the next state. Pure and synchronous: it runs for live events and on
   * every replay. The state it is given is frozen (plain objects and arrays; Maps, Sets and binary data cannot be):
   * changing it in place throws, and the command fails with a `HandlerError`. Share the unchanged parts instead,
   * as in `{ ...state, balance: state.balance + event.amount }`.
   */
  evolve(state: S, event: E): S;
  /** When to store a snapshot of the state. Defaults to never. */
  snapshotPolicy?: SnapshotPolicy<S>;
  /**
   * The most events an activation (or a time-travel read) may replay after the newest snapshot. Past it, the entity
   * fails to activate with a `StreamTooLongError` instead of silently loading a huge stream. Default: no limit.
   */
  maxReplayedEvents?: number;
  /**
   * The registry of the entity's event types, by the name in their `type` field: versions, former names, and
   * upcasters that turn stored payloads of old versions into the current one on every read. Without it, events are
   * read as stored. With it, an event of a type not listed is refused, on write and on read.
   */
  events?: EventSchemas<E>;
  /** The version of the state's shape, stored with each snapshot. Raise it when the state changes shape. Default 1. */
  stateVersion?: number;
  /**
   * `migrations[v]` turns a snapshot's state of version `v` into version `v + 1`. A snapshot that no complete chain
   * leads from (or whose migration throws) is ignored, and the state is rebuilt from the events.
   */
  migrations?: Readonly<Record<number, (state: any) => unknown>>;
}

/** Any entity definition; `any` so that definitions of every state, command and event type fit. */
export type AnyEntityDefinition = EntityDefinition<any, any, any>;

/** The entity definitions a runtime serves, by entity type name. */
export type EntityDefinitions = Record<string, AnyEntityDefinition>;

/** The state type of an entity definition. */
export type StateOf<D> = D extends EntityDefinition<infer S, any, any> ? S : never;
/** The command type of an entity definition. */
export type CommandOf<D> = D extends EntityDefinition<any, infer C, any> ? C : never;
/** The event type of an entity definition. */
export type EventOf<D> = D extends EntityDefinition<any, any, infer E> ? E : never;

/** Identity helper that infers `S`, `C` and `E` from the object literal it is given. */
export function defineEntity<S, C, E>(definition: EntityDefinition<S, C, E>): EntityDefinition<S, C, E> {
  return definition;
}

/** The value `decide` returns to refuse a command, with the reason shown to the user. */
export function reject(reason: string): Rejection {
  return { rejected: reason };
}

/** True when a decision is a rejection. */
export function isRejection<E>(decision: Decision<E>): decision is Rejection {
  return !Array.isArray(decision) && typeof (decision as Rejection).rejected === 'string';
}

/**
 * The stream version a command expects to act on (optimistic concurrency):
 * a sequence number (the stream's newest event must be exactly this; 0 means empty), `'no-stream'` (no events
 * yet), `'stream-exists'` (at least one event), or `'any'` (no condition; the default).
 */
export type ExpectedVersion = number | 'no-stream' | 'stream-exists' | 'any';

/** True when a stream whose newest event is `actual` satisfies `expected`. */
export function matchesExpectedVersion(expected: ExpectedVersion, actual: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no-stream':
      return actual === 0;
    case 'stream-exists':
      return actual > 0;
    default:
      return expected === actual;
  }
}
