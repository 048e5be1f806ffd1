import type { EventJournal } from '../../core/journal.ts';

/**
 * The functions of a test runner that the contract suites register their cases with. Pass the runner's own:
 *
 * ```ts
 * import { afterEach, describe, it } from 'vitest'; // or '@jest/globals', 'node:test', Mocha's globals
 * describeJournalContract('MyJournal', factory, { describe, it, afterEach });
 *
 * import { test } from '@playwright/test';
 * describeJournalContract('MyJournal', factory, { describe: test.describe, it: test, afterEach: test.afterEach });
 * ```
 *
 * Each case is an `async` function of no parameters, so runners that read a parameter as a `done` callback
 * (Mocha, Jest, node:test) or as fixtures (Playwright) wait for its promise instead, and runners that pass a
 * context (node:test, Vitest) may pass one. The suites assert with their own helpers, which throw a
 * `SpecificationError`: they need nothing of the runner but these three functions.
 */
export interface TestRunner {
  /** Groups cases under a name; `suite` registers them, synchronously. */
  describe(name: string, suite: () => void): unknown;
  /**
   * Registers a case. `timeout` (milliseconds) is given only to the few cases that take seconds (a stream of
   * 100,000 events): Vitest and Jest read it as the case's timeout; node:test (no timeout by default), Playwright
   * (30 s by default) and Mocha (2 s by default: raise it with `--timeout`) ignore it.
   */
  it(name: string, test: () => Promise<void>, timeout?: number): unknown;
  /** Registers a hook that runs after each case of the enclosing `describe`: the suites close their journals there. */
  afterEach(hook: () => Promise<void>): unknown;
}

/**
 * How the contract suites get journals of the implementation under test. Each case opens its own journals; after
 * each case the suite closes them and calls `cleanup`.
 */
export interface JournalFactory {
  /**
   * A fresh, empty journal, keeping the newest `snapshotsKept` snapshots per stream when that is given (the
   * journal's default otherwise): every call a journal of its own, sharing nothing with the others.
   */
  open(options?: { snapshotsKept?: number }): Promise<EventJournal>;
  /**
   * Closes `journal` and opens a new journal over the same storage, for the cases that check what survives a
   * restart. Omit it for a journal that keeps nothing (in memory): those cases are then left out.
   */
  reopen?(journal: EventJournal): Promise<EventJournal>;
  /**
   * A second handle on the storage of `journal`, open at the same time, as another tab (a `local` journal) or
   * another process (a `centralized` one) opens it: the sharing cases race the two. Required of a `centralized`
   * journal, which every process that opens it shares; omit it for one that cannot be shared (in memory).
   */
  openSecond?(journal: EventJournal): Promise<EventJournal>;
  /** Releases what the journals of a case left behind (databases, files), after they were closed. */
  cleanup?(): Promise<void>;
}

/** What a suite's cases use: a journal factory that remembers what it opened, and the runner's functions. */
export interface Contract {
  /** Opens a journal through the factory; it is closed after the case. */
  open(options?: { snapshotsKept?: number }): Promise<EventJournal>;
  /** Has a journal opened otherwise (by `reopen`) closed after the case too, and returns it. */
  track(journal: EventJournal): EventJournal;
  /** The factory's `reopen`, when it has one. */
  readonly reopen: JournalFactory['reopen'];
  /** Groups cases. */
  describe(name: string, suite: () => void): void;
  /** Registers a case (see `TestRunner.it`). */
  it(name: string, test: () => Promise<void>, timeout?: number): void;
}

/**
 * Sets up a suite inside the runner's current `describe`: journals opened by its cases are closed after each case,
 * and the factory cleans up after them.
 */
export function contractOf(factory: JournalFactory, runner: TestRunner): Contract {
  // Called as plain functions, as the runners' own imports are: none needs `this`.
  const { describe, it, afterEach } = runner;
  const opened: EventJournal[] = [];
  const track = (journal: EventJournal) => {
    opened.push(journal);
    return journal;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((journal) => journal.close()));
    await factory.cleanup?.();
  });
  return {
    open: async (options) => track(await factory.open(options)),
    track,
    reopen: factory.reopen?.bind(factory),
    describe: (name, suite) => void describe(name, suite),
    it(name, test, timeout) {
      // No parameter, so that no runner takes the case for one that calls `done`.
      const run = async () => {
        await test();
      };
      if (timeout === undefined) it(name, run);
      else it(name, run, timeout);
    },
  };
}
