/**
 * Freezes `value` and everything reachable from it, so that code which tries to change a state in place fails at
 * once (modules run in strict mode: the assignment throws a `TypeError`) instead of changing a state that has been
 * handed out, decided on, or is about to be snapshotted. Returns `value`.
 *
 * Frozen objects are not entered again: an `evolve` that shares the unchanged parts of the previous state pays
 * only for what it built. Maps, Sets, Dates and binary data keep their own methods working (no freeze reaches their
 * internal slots); the values inside Maps and Sets are frozen. Iterative, so that a deep value cannot overflow the
 * stack, and safe with cycles.
 */
export function deepFreeze<T>(value: T): T {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next !== 'object' || next === null || Object.isFrozen(next)) continue;
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
  return value;
}

/**
 * Whether `value` holds something `deepFreeze` cannot protect: a Map, a Set, a Date or binary data, whose
 * contents stay changeable. A state that does may have been changed in place by code that should not have.
 */
export function holdsUnfreezable(value: unknown): boolean {
  const seen = new Set<object>();
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next !== 'object' || next === null || seen.has(next)) continue;
    if (next instanceof Map || next instanceof Set || next instanceof Date || next instanceof ArrayBuffer || ArrayBuffer.isView(next)) {
      return true;
    }
    seen.add(next);
    for (const key in next) pending.push((next as Record<string, unknown>)[key]);
  }
  return false;
}
