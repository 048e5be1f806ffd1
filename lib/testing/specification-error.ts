/**
 * Thrown when a specification does not hold; test runners report it as a failed assertion. Where two values were
 * compared, it carries them as Chai's `AssertionError` does (`expected`, `actual`, `showDiff`), so Vitest and other
 * runners that read that shape print a diff of them.
 */
export class SpecificationError extends Error {
  /** The class's name, as `String(error)` and test reports show it. */
  override readonly name = 'SpecificationError';
  /** The value the specification expected (events, a state, documents…), when it compared two values. */
  readonly expected?: unknown;
  /** The value it got instead. */
  readonly actual?: unknown;
  /** Whether `expected` and `actual` are there, for the test runner to diff. */
  readonly showDiff: boolean;

  constructor(message: string, compared?: { expected: unknown; actual: unknown }) {
    super(message);
    this.showDiff = compared !== undefined;
    if (compared) {
      this.expected = compared.expected;
      this.actual = compared.actual;
    }
  }
}

/**
 * Fails a specification: the message shows what was expected and what happened (`shown`); `compared`, the two
 * values for the test runner to diff.
 */
export function fail(expected: string, shown: object, compared?: { expected: unknown; actual: unknown }): never {
  throw new SpecificationError(`Expected ${expected}, but got ${show(shown)}`, compared);
}

/** A value as a specification failure shows it. */
export function show(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
