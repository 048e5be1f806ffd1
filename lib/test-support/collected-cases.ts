import type { TestRunner } from 'eventfold/testing';

/** A case registered through `collectCases`: its full name and how to run it with its `afterEach` hooks. */
export interface CollectedCase {
  /** The names of its `describe`s and its own, joined by ' > '. */
  readonly name: string;
  /** Runs the case, then the hooks of its `describe`s, innermost first, as test runners do; rejects as the case does. */
  run(): Promise<void>;
}

/**
 * The cases that `register` makes through a runner of its own, without a test runner: to count a suite's cases, or
 * to run them on a journal that must fail some of them.
 */
export function collectCases(register: (runner: TestRunner) => void): CollectedCase[] {
  const cases: CollectedCase[] = [];
  const path: string[] = [];
  const hooks: (() => Promise<void>)[][] = [[]];
  register({
    describe(name, suite) {
      path.push(name);
      hooks.push([]);
      try {
        suite();
      } finally {
        hooks.pop();
        path.pop();
      }
    },
    it(name, test) {
      // The hook lists of the enclosing describes, by reference: a hook registered after the case applies too.
      const enclosing = [...hooks];
      cases.push({
        name: [...path, name].join(' > '),
        async run() {
          try {
            await test();
          } finally {
            for (const list of [...enclosing].reverse()) for (const hook of list) await hook();
          }
        },
      });
    },
    afterEach(hook) {
      hooks.at(-1)!.push(hook);
    },
  });
  return cases;
}

/** Runs the cases one after the other, and resolves with the names of those that failed, each with its error. */
export async function failuresOf(cases: readonly CollectedCase[]): Promise<Map<string, unknown>> {
  const failures = new Map<string, unknown>();
  for (const { name, run } of cases) {
    try {
      await run();
    } catch (error) {
      failures.set(name, error);
    }
  }
  return failures;
}
