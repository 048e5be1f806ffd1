import { type EntityDefinition, isRejection } from '../core/entity.ts';
import { deepEqual } from './deep-equal.ts';
import { fail, show } from './specification-error.ts';

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
  for<S, C, E>(definition: EntityDefinition<S, C, E>) {
    return {
      given(events: readonly E[] = []) {
        return {
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
  const before = given.reduce(definition.evolve, definition.initialState());
  let result: Outcome<E>;
  try {
    const decision = definition.decide(command, before);
    result = isRejection(decision) ? { rejected: decision.rejected } : { events: decision };
  } catch (threw) {
    result = { threw };
  }
  const recorded = (): readonly E[] => {
    if ('events' in result) return result.events;
    fail('events', result);
  };

  return {
    then(expected) {
      const actual = recorded();
      if (!deepEqual(actual, expected)) fail(show(expected), { events: actual });
    },
    thenNothingHappened() {
      const actual = recorded();
      if (actual.length > 0) fail('no events', { events: actual });
    },
    thenRejected(reason) {
      if (!('rejected' in result)) fail('a rejection', result);
      const matches =
        reason === undefined || (typeof reason === 'string' ? result.rejected === reason : reason.test(result.rejected));
      if (!matches) fail(`a rejection with reason ${String(reason)}`, result);
    },
    thenThrows(check) {
      if (!('threw' in result)) fail('decide to throw', result);
      if (check && !check(result.threw)) fail('decide to throw an error that passes the check', result);
    },
    thenState(expected) {
      const after = recorded().reduce(definition.evolve, before);
      if (!deepEqual(after, expected)) fail(`state ${show(expected)}`, { state: after });
    },
  };
}
