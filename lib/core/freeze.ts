/** Objects `deepFreeze` has frozen with everything reachable from them: those it need not enter again. */
const frozenDeeply = new WeakSet<object>();
/**
 * Of those, the ones from which a Map, a Set, a Date or binary data may be reached (a walk that met one marks all it
 * froze: an over-estimate, which only costs a copy).
 */
const reachesUnfreezable = new WeakSet<object>();

/**
 * Freezes `value` and everything reachable from it, so that code which tries to change a state in place fails at
 * once (modules run in strict mode: the assignment throws a `TypeError`) instead of changing a state that has been
 * handed out, decided on, or is about to be snapshotted. Returns `value`.
 *
 * Objects it froze before are not entered again, so an `evolve` that shares the unchanged parts of the previous state
 * pays only for what it built; an object frozen by someone else is entered, since its children may not be. Maps,
 * Sets, Dates and binary data keep their own methods working (no freeze reaches their internal slots; see
 * `holdsUnfreezable`); the values inside Maps and Sets are frozen. Iterative, so that a deep value cannot overflow
 * the stack, and safe with cycles.
 */
export function deepFreeze<T>(value: T): T {
  const pending: unknown[] = [value];
  const walked: object[] = [];
  let unfreezable = false;
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next !== 'object' || next === null) continue;
    if (frozenDeeply.has(next)) {
      if (reachesUnfreezable.has(next)) unfreezable = true;
      continue;
    }
    frozenDeeply.add(next);
    walked.push(next);
    if (next instanceof Map || next instanceof Set || next instanceof Date || next instanceof ArrayBuffer || ArrayBuffer.isView(next)) {
      unfreezable = true;
    }
    // A typed array or DataView with elements cannot be frozen, and holds no objects.
    if (ArrayBuffer.isView(next)) continue;
    Object.freeze(next);
    if (Array.isArray(next)) {
      for (let i = 0; i < next.length; i++) if (typeof next[i] === 'object') pending.push(next[i]);
      continue;
    }
    if (next instanceof Map) {
      for (const [key, entry] of next) pending.push(key, entry);
    } else if (next instanceof Set) {
      for (const entry of next) pending.push(entry);
    }
    for (const key in next) {
      const child = (next as Record<string, unknown>)[key];
      if (typeof child === 'object') pending.push(child);
    }
  }
  if (unfreezable) {
    for (const object of walked) reachesUnfreezable.add(object);
    if (typeof value === 'object' && value !== null) reachesUnfreezable.add(value);
  }
  return value;
}

/**
 * Whether a value that `deepFreeze` froze may hold something freezing cannot protect: a Map, a Set, a Date or binary
 * data, whose contents stay changeable. Constant time. A value `deepFreeze` never saw counts as changeable.
 */
export function holdsUnfreezable(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return !frozenDeeply.has(value) || reachesUnfreezable.has(value);
}
