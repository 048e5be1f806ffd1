import { type Decision, type EntityDefinition, isRejection } from '../core/entity.ts';
import { returnedProblem } from '../core/validation.ts';
import { deepEqual } from './deep-equal.ts';
import { fail, show, SpecificationError } from './specification-error.ts';

/** The outcome of `when`, to be checked with one of the `then…` methods. */
export interface Then<S, E> {
  /** The command recorded exactly these events. */
  then(expected: readonly E[]): void;
  /** The command recorded no event and was not rejected. */
  thenNothingHappened(): void;
  /** The command was rejected, with this reason when one is given (a string must match whole). */
  thenRejected(reason?: string | RegExp): void;
  /** `decide` threw, with an error that satisfies `check` when one is given. */
  thenThrows(check?: (error: unknown) => boolean): void;
  /** The state after the given events and the recorded ones equals `expected`. */
  thenState(expected: S): void;
}

/**
 * Given/when/then specifications for deciders, without storage or runtime:
 *
 * ```ts
 * const spec = DeciderSpecification.for(account);
 * spec.given([{ type: 'deposited', amount: 100 }]).when({ type: 'withdraw', amount: 500 }).thenRejected(/insufficient funds/);
 * ```
 */
export const DeciderSpecification = {
  /** Starts a specification of the entity `definition`. */
  for<S, C, E>(definition: EntityDefinition<S, C, E>) {
    return {
      /** The entity's past: `events` are folded with `evolve` from the initial state. Default: none. */
      given(events: readonly E[] = []) {
        return {
          /**
           * Decides `command` on the state after the given events; check the outcome with a `then…` method. Fails at
           * once when `decide` returns neither events nor a rejection (a Promise, say), as the runtime would.
           */
          when(command: C): Then<S, E> {
            return outcome(definition, events, command);
          },
        };
      },
    };
  },
};

type Outcome<E> = { events: readonly E[] } | { rejected: string } | { threw: unknown };

function outcome<S, C, E>(definition: EntityDefinition<S, C, E>, given: readonly E[], command: C): Then<S, E> {
  const before = given.reduce(evolveWith(definition), definition.initialState());
  let decision: Decision<E> | undefined;
  let threw: { threw: unknown } | undefined;
  try {
    decision = definition.decide(command, before);
  } catch (error) {
    threw = { threw: error };
  }
  const problem = threw ? undefined : returnedProblem('decide', decision);
  if (problem) refuse('decide to return events or reject(reason)', problem);
  const decided = decision!;
  const result: Outcome<E> = threw ?? (isRejection(decided) ? { rejected: decided.rejected } : { events: decided });
  const recorded = (): readonly E[] => {
    if ('events' in result) return result.events;
    fail('events', result);
  };

  return {
    then(expected) {
      const actual = recorded();
      if (!deepEqual(actual, expected)) fail(show(expected), { events: actual }, { expected, actual });
    },
    thenNothingHappened() {
      const actual = recorded();
      if (actual.length > 0) fail('no events', { events: actual }, { expected: [], actual });
    },
    thenRejected(reason) {
      if (!('rejected' in result)) fail('a rejection', result);
      const matches =
        reason === undefined || (typeof reason === 'string' ? result.rejected === reason : reason.test(result.rejected));
      if (!matches) {
        fail(`a rejection with reason ${String(reason)}`, result, { expected: { rejected: reason }, actual: result });
      }
    },
    thenThrows(check) {
      if (!('threw' in result)) fail('decide to throw', result);
      if (check && !check(result.threw)) fail('decide to throw an error that passes the check', result);
    },
    thenState(expected) {
      const after = recorded().reduce(evolveWith(definition), before);
      if (!deepEqual(after, expected)) fail(`state ${show(expected)}`, { state: after }, { expected, actual: after });
    },
  };
}

/** `evolve`, refusing a result the runtime would refuse (a Promise). */
function evolveWith<S, E>(definition: EntityDefinition<S, unknown, E>): (state: S, event: E) => S {
  return (state, event) => {
    const next = definition.evolve(state, event);
    const problem = returnedProblem('evolve', next);
    if (problem) refuse('evolve to return the next state', problem);
    return next;
  };
}

function refuse(expected: string, { returned, advice }: { returned: string; advice: string }): never {
  throw new SpecificationError(`Expected ${expected}, but it returned ${returned}: ${advice}`);
}
