import type { CommandOptions } from './command.ts';
import { type EntityDefinition, isRejection } from './entity.ts';
import { HandlerError, RejectedError } from './errors.ts';
import { holdsUnfreezable } from './freeze.ts';
import { eventTypeOf, randomId } from './identity.ts';
import type { PersistedEvent } from './journal.ts';
import { foldEvents, type Versioned } from './replay.ts';
import type { EntitySchema } from './schema.ts';
import { returnedProblem, validateBatch } from './validation.ts';

/** What deciding a command needs to know of its entity. */
export interface DecisionContext<S, C, E> {
  /** The entity's stream (`streamIdOf(type, id)`). */
  readonly streamId: string;
  /** The entity's definition. */
  readonly definition: EntityDefinition<S, C, E>;
  /** The definition's event schemas (`new EntitySchema(type, definition)`): the versions events are written at. */
  readonly schema: EntitySchema;
  /** Stamps the events. */
  readonly clock: () => number;
}

/** An event whose `position` is 0 until its write has committed, and is then set in place. */
export type Positioned<E> = { -readonly [K in keyof PersistedEvent<E>]: PersistedEvent<E>[K] };

/** A command decided on a state: its events in their envelopes, and the state after them. */
export interface CommandDecision<S, E> {
  /** The events, numbered after the base state's sequence number; none when `decide` returned an empty list. */
  readonly events: Positioned<E>[];
  /** The state after the events (the base state itself when there are none). */
  readonly after: Versioned<S>;
  /** The events' size, as `validateBatch` counts it. */
  readonly bytes: number;
}

/**
 * Decides `command` on `base`, the one way every host of entities does (the runtime, and a sync server deciding a
 * device's commands again): `decide` on the state (a copy of one that freezing cannot protect), the events checked
 * and put in their envelopes, then folded. Pure but for the clock and the event ids: nothing is stored.
 *
 * Throws a `RejectedError` when the decider refuses, a `HandlerError` when `decide` or `evolve` throws or returns
 * what it must not, a `NotCloneableError` or `InvalidArgumentError` for events that cannot be stored.
 */
export function decideCommand<S, C, E>(
  context: DecisionContext<S, C, E>,
  base: Versioned<S>,
  command: C,
  commandId: string,
  options: Pick<CommandOptions, 'correlationId' | 'metadata'>,
): CommandDecision<S, E> {
  // Freezing cannot protect a Map, a Set, a Date or binary data: decide on a copy of a state that holds one, so
  // that no decision changes a state already handed out, or the durable one.
  const working = holdsUnfreezable(base.state) ? copyOf(base.state) : base.state;
  const decided = decideEvents(context, command, working);
  if (decided.length === 0) return { events: [], after: base, bytes: 0 };
  const events = envelopes(context, decided, base.sequenceNr, commandId, options);
  const bytes = validateBatch(context.streamId, events);
  const state = foldEvents(context.streamId, context.definition, working, events);
  return { events, after: { state, sequenceNr: base.sequenceNr + events.length }, bytes };
}

function decideEvents<S, C, E>({ streamId, definition }: DecisionContext<S, C, E>, command: C, state: S): readonly E[] {
  let decision;
  try {
    decision = definition.decide(command, state);
  } catch (cause) {
    throw new HandlerError(streamId, 'decide', cause);
  }
  const problem = returnedProblem('decide', decision);
  if (problem) throw new HandlerError(streamId, 'decide', new TypeError(problem.advice), { returned: problem.returned });
  if (isRejection(decision)) throw new RejectedError(streamId, decision.rejected);
  return decision;
}

/** The command's events in their envelopes, numbered after `head`, their `position` 0 until their write commits. */
function envelopes<S, C, E>(
  { streamId, schema, clock }: DecisionContext<S, C, E>,
  events: readonly E[],
  head: number,
  commandId: string,
  options: Pick<CommandOptions, 'correlationId' | 'metadata'>,
): Positioned<E>[] {
  const metadata = { ...options.metadata, correlationId: options.correlationId ?? commandId, causationId: commandId };
  const timestamp = clock();
  return events.map((event, i) => {
    const type = eventTypeOf(event);
    const schemaVersion = schema.versionOf(streamId, type);
    return { sequenceNr: head + 1 + i, event, timestamp, eventId: randomId(), type, schemaVersion, metadata, position: 0 };
  });
}

// structuredClone exists in every runtime eventfold supports, but is declared by the DOM and Node typings only.
const { structuredClone } = globalThis as unknown as { structuredClone<T>(value: T): T };

/** A copy of a state, or the state itself when it holds what cannot be copied (a function, say). */
function copyOf<S>(state: S): S {
  try {
    return structuredClone(state);
  } catch {
    return state;
  }
}
