/** Thrown when a specification does not hold; test runners report it as a failed assertion. */
export class SpecificationError extends Error {
  override readonly name = 'SpecificationError';
}

/** Fails a specification, showing what was expected and what happened. */
export function fail(expected: string, actual: object): never {
  throw new SpecificationError(`Expected ${expected}, but got ${show(actual)}`);
}

/** A value as a specification failure shows it. */
export function show(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
