/**
 * The canonical form of a value: a string that two values share exactly when they are the same value, which is what
 * fingerprints (idempotency checks, snapshot checksums) and the testing helpers' equality are built on.
 *
 * "The same value" is the content a structured clone keeps, with three choices made on purpose:
 * - the order of an object's keys, of a Map's entries and of a Set's elements does not count;
 * - an object reached twice counts as its content each time: sharing one object or holding two equal copies is the
 *   same value (so a test's literal expectation equals a state that shares subtrees);
 * - a cycle counts by its shape: a reference back to an object on the path from the root is written as "n levels up",
 *   so a cyclic value has a form, and the form changes when the cycle does.
 *
 * Every kind is told apart from every other: a Map from an object of its entries, a typed view from its buffer and
 * from a view of another kind over the same bytes, a boxed primitive from the primitive, `-0` from `0`, a hole in an
 * array from `undefined`, a missing key from an `undefined` one, and a string from whatever it reads as. A view counts
 * by its kind and its own bytes (not the rest of the buffer it looks into). Functions and symbols, which cannot be
 * stored, count by identity within one `CanonicalForms`; other objects (class instances, platform objects) by their
 * class name and own enumerable properties, an error also by its name, message and cause.
 *
 * Plain data (objects, dense arrays, strings, numbers, booleans, null, undefined, bigints, dates) keeps the form of
 * earlier versions, so fingerprints stored before stay valid.
 *
 * The form is linear in the size of the value as a tree: an object shared many times over is computed once, but its
 * text is repeated, and a form longer than the engine's longest string throws a `RangeError`.
 */
export class CanonicalForms {
  /** Per object: its depth while it is on the path from the root, then its form once done (if it has no cycle out). */
  readonly #visits = new Map<object, number | string>();
  /** How many objects are on the path from the root. */
  #depth = 0;
  /** The shallowest depth that a back-reference inside the object being written points to. */
  #reach = Number.POSITIVE_INFINITY;
  readonly #identities = new Map<unknown, number>();

  /** The canonical form of `value`. After a throw, this instance may not be used again. */
  of(value: unknown): string {
    switch (typeof value) {
      case 'string':
        return JSON.stringify(value);
      case 'number':
        return numberForm(value);
      case 'boolean':
        return value ? 'true' : 'false';
      case 'undefined':
        return 'u';
      case 'bigint':
        return `${value}n`;
      case 'function':
      case 'symbol':
        return this.#identity('F', value);
    }
    if (value === null) return 'null';
    return this.#visit(value as object);
  }

  #visit(value: object): string {
    const visit = this.#visits.get(value);
    if (typeof visit === 'string') return visit;
    if (visit !== undefined) {
      if (visit < this.#reach) this.#reach = visit;
      return `^${this.#depth - visit}`;
    }
    const depth = this.#depth++;
    const outer = this.#reach;
    this.#reach = Number.POSITIVE_INFINITY;
    this.#visits.set(value, depth);
    const form = this.#object(value);
    this.#depth = depth;
    // A form with no reference above its object is the same wherever the object is met again: keep it.
    if (this.#reach >= depth) this.#visits.set(value, form);
    else this.#visits.delete(value);
    if (outer < this.#reach) this.#reach = outer;
    return form;
  }

  #object(value: object): string {
    if (Array.isArray(value)) return this.#array(value);
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) return this.#properties(value, Object.keys(value));
    const tag = Object.prototype.toString.call(value).slice(8, -1);
    if (ArrayBuffer.isView(value)) return `V${tag}:${value.byteLength}:${bytesOf(value.buffer, value.byteOffset, value.byteLength)}`;
    switch (tag) {
      case 'Map': {
        const entries: string[] = [];
        Map.prototype.forEach.call(value, (entry: unknown, key: unknown) => entries.push(`${this.of(key)}:${this.of(entry)}`));
        return `M{${entries.sort().join(',')}}`;
      }
      case 'Set': {
        const elements: string[] = [];
        Set.prototype.forEach.call(value, (element: unknown) => elements.push(this.of(element)));
        return `S{${elements.sort().join(',')}}`;
      }
      case 'Date':
        return `D${Date.prototype.getTime.call(value)}`;
      case 'RegExp': {
        const regExp = value as RegExp;
        return `R${JSON.stringify(regExp.source)}${regExp.flags}`;
      }
      case 'ArrayBuffer':
      case 'SharedArrayBuffer': {
        const buffer = value as ArrayBuffer & { resizable?: boolean; maxByteLength?: number };
        const size = buffer.resizable ? `${buffer.byteLength}/${buffer.maxByteLength}` : `${buffer.byteLength}`;
        return `${tag === 'ArrayBuffer' ? 'B' : 'b'}${size}:${bytesOf(buffer, 0, buffer.byteLength)}`;
      }
      case 'Number':
        return `ON${numberForm(Number.prototype.valueOf.call(value))}`;
      case 'String':
        return `OS${JSON.stringify(String.prototype.valueOf.call(value))}`;
      case 'Boolean':
        return `OB${Boolean.prototype.valueOf.call(value)}`;
      case 'BigInt':
        return `OI${BigInt.prototype.valueOf.call(value)}n`;
      case 'Symbol':
        return this.#identity('Y', Symbol.prototype.valueOf.call(value));
      case 'Error': {
        const error = value as Error;
        const cause = Object.hasOwn(error, 'cause') ? `c${this.of(error.cause)}` : '';
        return `E${JSON.stringify(String(error.name))}${JSON.stringify(String(error.message))}${cause}${this.#properties(value, Object.keys(value))}`;
      }
      default: {
        // An object of another realm is plain when its prototype's prototype is null.
        if (tag === 'Object' && proto !== null && Object.getPrototypeOf(proto) === null) {
          return this.#properties(value, Object.keys(value));
        }
        const name = (proto as { constructor?: { name?: unknown } } | null)?.constructor?.name;
        const kind = tag === 'Object' && typeof name === 'string' ? name : tag;
        return `C${JSON.stringify(kind)}${this.#properties(value, Object.keys(value))}`;
      }
    }
  }

  /** A dense array with no other property as a list; any other array by its length and own properties. */
  #array(value: readonly unknown[]): string {
    const keys = Object.keys(value);
    const length = value.length;
    // Own keys list the indices first, ascending: a full list ends at the last index.
    if (keys.length !== length || (length > 0 && keys[length - 1] !== String(length - 1))) {
      return `A${length}${this.#properties(value, keys)}`;
    }
    let form = '[';
    for (let i = 0; i < length; i++) {
      if (i > 0) form += ',';
      form += this.of(value[i]);
    }
    return `${form}]`;
  }

  #properties(value: object, keys: string[]): string {
    keys.sort();
    let form = '{';
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (i > 0) form += ',';
      form += `${JSON.stringify(key)}:${this.of((value as Record<string, unknown>)[key])}`;
    }
    return `${form}}`;
  }

  #identity(prefix: string, value: unknown): string {
    let id = this.#identities.get(value);
    if (id === undefined) this.#identities.set(value, (id = this.#identities.size + 1));
    return `${prefix}${id}`;
  }
}

/** The canonical form of one value (see `CanonicalForms`). */
export function canonicalForm(value: unknown): string {
  return new CanonicalForms().of(value);
}

/** Whether two values are the same value, as `CanonicalForms` defines it. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  const forms = new CanonicalForms();
  return forms.of(a) === forms.of(b);
}

function numberForm(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

/** Bytes as a string of one character each: the form gives their count first, so any character may follow. */
function bytesOf(buffer: ArrayBufferLike, offset: number, length: number): string {
  const view = new Uint8Array(buffer, offset, length);
  let text = '';
  for (let start = 0; start < length; start += CHUNK) {
    text += String.fromCharCode.apply(null, view.subarray(start, start + CHUNK) as unknown as number[]);
  }
  return text;
}

/** Bytes per `String.fromCharCode` call: well below every engine's argument limit. */
const CHUNK = 8192;
