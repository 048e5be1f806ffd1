/**
 * How the PostgreSQL journal stores values in `jsonb`: every value the local journals accept comes back as a
 * structured clone of it, and plain JSON is stored as it is, so that `->>`, `@>` and indexes work on it.
 *
 * The encoding, in one paragraph. A JSON object with an own key `"$"` is a tag; nothing else is. `null`, booleans,
 * finite numbers other than `-0`, strings that `jsonb` can hold (no U+0000, no lone surrogate), dense arrays without
 * other properties, and objects whose keys are all storable and none is `"$"` are stored as they are, their members
 * encoded the same way: a plain payload with a Date inside stays queryable everywhere but at the Date. Tags:
 *
 * | value | stored |
 * | --- | --- |
 * | `undefined` | `{"$":"undefined"}` |
 * | `NaN`, `±Infinity`, `-0` | `{"$":"number","v":"NaN"}` (`"Infinity"`, `"-Infinity"`, `"-0"`) |
 * | a bigint | `{"$":"bigint","v":"-12"}` |
 * | a string with U+0000 or a lone surrogate | `{"$":"string","v":["ab",0,"c",55296]}`: storable runs and the code units between |
 * | an object with key `"$"` or an unstorable key | `{"$":"Object","v":[[key, value], …]}` (keys as strings are) |
 * | an array with holes or other properties | `{"$":"Array","length":5,"v":[["0", value], ["x", value], …]}` |
 * | Map, Set | `{"$":"Map","v":[[key, value], …]}`, `{"$":"Set","v":[value, …]}` |
 * | Date | `{"$":"Date","v":1700000000000}` (`null` for an invalid Date) |
 * | RegExp | `{"$":"RegExp","v":"a+","flags":"gi"}` (`lastIndex` is not kept, as by structured clone) |
 * | boxed primitive | `{"$":"Number","v":{"$":"number","v":"NaN"}}` (`Boolean`, `String`, `BigInt` alike) |
 * | ArrayBuffer | `{"$":"ArrayBuffer","v":"<base64>"}`, plus `"maxByteLength"` when resizable |
 * | typed array, DataView | `{"$":"Uint8Array","v":<its buffer>,"byteOffset":2,"length":3}` (`"byteLength"` for a DataView); the whole buffer is kept, as by structured clone; `byteOffset` is left out when 0, the length when the view reaches the end of a fixed-length buffer or tracks a resizable one |
 *
 * A value where one object is reached twice (shared, or a cycle) is stored as a graph, at the top level only:
 * `{"$":"Graph","v":<root>,"objects":[…]}`, where each shared object is stored once in `objects` and every place
 * that holds it says `{"$":"ref","v":index}`. Sharing survives (`{a: x, b: x}` comes back with `a === b`, two views
 * keep one buffer), as it does in IndexedDB.
 *
 * Key order: `jsonb` stores an object's keys shortest first, then by their bytes, and a decoded object has its keys
 * in that order (integer-like keys come first, ascending, in any JavaScript object anyway). `{type, amount, note}`
 * comes back as `{note, type, amount}`: equal by every comparison eventfold makes (fingerprints and `deepEqual`
 * ignore key order), but `Object.keys` differs. Objects stored as tags (`"$":"Object"`), Maps and Sets keep their
 * order exactly.
 *
 * Values are exactly those `assertCloneable` accepts, less three that no journal can store: a view over a
 * `SharedArrayBuffer`, a detached `ArrayBuffer`, a view out of its resizable buffer's bounds (IndexedDB refuses them
 * too). An object whose tag says `Date` (or `Map`…) without being one is refused, not guessed at. Nested depth is
 * counted as `assertCloneable` counts it.
 *
 * @module
 */
import { NotCloneableError } from './errors.ts';
import { MAX_DEPTH } from './validation.ts';

/**
 * The JSON-compatible form of `value`, to store in a `jsonb` column: `value` itself when it is plain JSON (see the
 * module's documentation), so nothing is copied; otherwise an encoding that `decodeValue` reads back as a structured
 * clone of `value`. The result may share parts with `value`: serialize it (`JSON.stringify`) before `value` changes.
 *
 * Bind it as text with a cast, `$1::jsonb` and `JSON.stringify(encodeValue(…))`: drivers turn a JavaScript array or
 * string parameter into something other than its JSON (an SQL array, raw text).
 *
 * Throws a `NotCloneableError` naming `path` and the place inside `value` of the first part that cannot be stored
 * (a function, a class instance, a symbol key, a `__proto__` key, a value nested too deep…); `value` is never changed.
 */
export function encodeValue(value: unknown, path: string): unknown {
  try {
    try {
      return new Encoder(undefined).value(value, 0);
    } catch (error) {
      if (error !== NEEDS_GRAPH) throw error;
    }
    const encoder = new Encoder(findShared(value));
    const root = encoder.value(value, 0);
    return { $: 'Graph', v: root, objects: encoder.objects };
  } catch (error) {
    if (error instanceof Refusal) throw new NotCloneableError(path + error.path, error.kind);
    throw error;
  }
}

/**
 * The value that `encodeValue` stored, from the JSON a driver read back (`JSON.parse` of the `jsonb` text): a
 * structured clone of what was encoded, with plain objects in `jsonb`'s key order. Plain parts of `stored` are
 * returned as they are, not copied. Nothing is ever assigned to a prototype: a `"__proto__"` key becomes an own
 * property, as `JSON.parse` makes it.
 *
 * Throws a `TypeError` saying what is wrong when `stored` is not something `encodeValue` makes (an unknown tag, a
 * reference outside a graph…); a journal reports it as a `CorruptedDataError` of the event at fault.
 */
export function decodeValue(stored: unknown): unknown {
  if (isTag(stored) && stored.$ === 'Graph') {
    const objects = stored.objects;
    if (!Array.isArray(objects)) throw malformed('a graph without its objects');
    const decoder = new Decoder(objects);
    const root = decoder.value(stored.v);
    decoder.fillPending();
    return root;
  }
  return new Decoder(undefined).value(stored);
}

type Tag = { readonly $: unknown; readonly [key: string]: unknown };

/** Why a value is refused: `path` below the point where the walk found it. */
class Refusal {
  constructor(
    public path: string,
    readonly kind: string,
  ) {}
}

/** Thrown by the tree encoder when it meets an object a second time: the value is encoded as a graph instead. */
const NEEDS_GRAPH = {};

const UNDEFINED = Object.freeze({ $: 'undefined' });
const SPECIAL_NUMBERS: Readonly<Record<string, number>> = { NaN: Number.NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };
const SPECIAL_NUMBER_NODES = new Map(Object.keys(SPECIAL_NUMBERS).map((v) => [v, Object.freeze({ $: 'number', v })]));
const PROTO_KEY = 'key "__proto__" (a prototype-pollution vector)';

// Built-in getters read from their prototypes, so that an object's own overrides cannot change what is stored.
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const getter = (proto: object, key: PropertyKey) => Object.getOwnPropertyDescriptor(proto, key)?.get;
const typedArrayName = getter(typedArrayPrototype, Symbol.toStringTag)!;
const typedArrayBuffer = getter(typedArrayPrototype, 'buffer')!;
const typedArrayOffset = getter(typedArrayPrototype, 'byteOffset')!;
const typedArrayLength = getter(typedArrayPrototype, 'length')!;
const typedArrayAt = (typedArrayPrototype as { at(this: unknown, index: number): unknown }).at;
const dataViewBuffer = getter(DataView.prototype, 'buffer')!;
const dataViewOffset = getter(DataView.prototype, 'byteOffset')!;
const dataViewLength = getter(DataView.prototype, 'byteLength')!;
const bufferLength = getter(ArrayBuffer.prototype, 'byteLength')!;
const bufferResizable = getter(ArrayBuffer.prototype, 'resizable');
const bufferMaxLength = getter(ArrayBuffer.prototype, 'maxByteLength');
const bufferDetached = getter(ArrayBuffer.prototype, 'detached');
const regExpSource = getter(RegExp.prototype, 'source')!;
const REGEXP_FLAGS = (
  [['hasIndices', 'd'], ['global', 'g'], ['ignoreCase', 'i'], ['multiline', 'm'], ['dotAll', 's'], ['unicode', 'u'], ['unicodeSets', 'v'], ['sticky', 'y']] as const
).flatMap(([name, flag]) => {
  const get = getter(RegExp.prototype, name);
  return get ? [{ get, flag }] : [];
});

/** The views structured clone knows, with their element sizes. A kind this engine lacks (Float16Array before Node 24) is refused when decoded. */
const VIEW_SIZES: Readonly<Record<string, number>> = {
  Int8Array: 1,
  Uint8Array: 1,
  Uint8ClampedArray: 1,
  Int16Array: 2,
  Uint16Array: 2,
  Float16Array: 2,
  Int32Array: 4,
  Uint32Array: 4,
  Float32Array: 4,
  Float64Array: 8,
  BigInt64Array: 8,
  BigUint64Array: 8,
  DataView: 1,
};

type ViewConstructor = new (buffer: ArrayBuffer, byteOffset: number, length?: number) => object;
type ResizableBuffer = ArrayBuffer & { resize(byteLength: number): void; readonly maxByteLength: number };

class Encoder {
  readonly #seen = new Set<object>();
  readonly #index = new Map<object, number>();
  /** The graph's objects, each shared object's encoding at its index. */
  readonly objects: unknown[] = [];

  /** `shared`: the objects reached more than once, for a graph; `undefined` to encode a tree. */
  constructor(readonly shared: ReadonlySet<object> | undefined) {}

  value(value: unknown, depth: number): unknown {
    switch (typeof value) {
      case 'string':
        return storableString(value) ? value : stringNode(value);
      case 'number':
        return Number.isFinite(value) && (value !== 0 || 1 / value > 0) ? value : SPECIAL_NUMBER_NODES.get(numberName(value));
      case 'boolean':
        return value;
      case 'undefined':
        return UNDEFINED;
      case 'bigint':
        return { $: 'bigint', v: value.toString() };
      case 'object':
        return value === null ? null : this.#object(value, depth, true);
      default:
        throw new Refusal('', typeof value);
    }
  }

  /** Depth is counted as `assertCloneable` counts it: a view's buffer is part of the view, not below it. */
  #object(value: object, depth: number, counted: boolean): unknown {
    if (this.#seen.has(value)) {
      if (this.shared === undefined) throw NEEDS_GRAPH;
      const index = this.#index.get(value);
      if (index === undefined) throw new Error('value-codec: an object reached twice was not found shared');
      return { $: 'ref', v: index };
    }
    if (counted && depth >= MAX_DEPTH) throw new Refusal('', `value nested more than ${MAX_DEPTH} levels deep`);
    this.#seen.add(value);
    if (this.shared?.has(value)) {
      const index = this.objects.push(null) - 1;
      this.#index.set(value, index);
      this.objects[index] = this.#content(value, depth);
      return { $: 'ref', v: index };
    }
    return this.#content(value, depth);
  }

  #content(value: object, depth: number): unknown {
    if (Array.isArray(value)) return this.#array(value, depth);
    if (isPlainObject(value)) return this.#record(value as Record<string, unknown>, depth);
    if (ArrayBuffer.isView(value)) return this.#view(value, depth);
    const tag = Object.prototype.toString.call(value).slice(8, -1);
    // Built-in methods check what an object really is: one whose tag or prototype lies is refused, not guessed at.
    switch (tag) {
      case 'ArrayBuffer':
        if (branded(() => bufferLength.call(value)) !== undefined) return bufferNode(value as ArrayBuffer);
        break;
      case 'Date': {
        const time = branded(() => Date.prototype.getTime.call(value));
        if (time !== undefined) return { $: 'Date', v: Number.isNaN(time) ? null : time };
        break;
      }
      case 'RegExp': {
        const source = branded(() => regExpSource.call(value) as string);
        if (source !== undefined) return { $: 'RegExp', v: stringValue(source), flags: REGEXP_FLAGS.map(({ get, flag }) => (get.call(value) ? flag : '')).join('') };
        break;
      }
      case 'Boolean':
      case 'Number':
      case 'String':
      case 'BigInt': {
        const primitive = branded(() => BOXED[tag]!.call(value));
        if (primitive !== undefined) return { $: tag, v: this.value(primitive, depth + 1) };
        break;
      }
    }
    if (value instanceof Map && branded(() => Map.prototype.has.call(value, undefined)) !== undefined) return this.#map(value, depth);
    if (value instanceof Set && branded(() => Set.prototype.has.call(value, undefined)) !== undefined) return this.#set(value, depth);
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    throw new Refusal('', typeof name === 'string' && name !== '' && name !== 'Object' ? name : tag);
  }

  #record(value: Record<string, unknown>, depth: number): unknown {
    if (Object.getOwnPropertySymbols(value).length > 0) throw new Refusal('', 'object with symbol keys');
    const keys = Object.keys(value);
    let copy: Record<string, unknown> | undefined;
    let tagged = false;
    let i = 0;
    try {
      for (; i < keys.length; i++) {
        const key = keys[i]!;
        if (key === '__proto__') throw new Refusal('', PROTO_KEY);
        if (key === '$' || !storableString(key)) tagged = true;
        const item = value[key];
        const encoded = this.value(item, depth + 1);
        if (copy === undefined && (encoded !== item || tagged)) {
          copy = {};
          for (let j = 0; j < i; j++) copy[keys[j]!] = value[keys[j]!];
        }
        if (copy !== undefined) copy[key] = encoded;
      }
    } catch (error) {
      throw within(error, propertyPath(keys[i]!));
    }
    if (!tagged) return copy ?? value;
    const encoded = copy!;
    return { $: 'Object', v: keys.map((key) => [stringValue(key), encoded[key]]) };
  }

  #array(value: unknown[], depth: number): unknown {
    // Structured clone would drop them, as it does an object's: refused the same way.
    if (Object.getOwnPropertySymbols(value).length > 0) throw new Refusal('', 'array with symbol keys');
    const keys = Object.keys(value);
    const length = value.length;
    // Own keys list the indices first, ascending: a dense array without other properties ends at its last index.
    if (keys.length !== length || (length > 0 && keys[length - 1] !== String(length - 1))) return this.#sparse(value, keys, depth);
    let copy: unknown[] | undefined;
    let i = 0;
    try {
      for (; i < length; i++) {
        const item = value[i];
        const encoded = this.value(item, depth + 1);
        if (copy === undefined && encoded !== item) copy = value.slice(0, i);
        if (copy !== undefined) copy.push(encoded);
      }
    } catch (error) {
      throw within(error, `[${i}]`);
    }
    return copy ?? value;
  }

  #sparse(value: unknown[], keys: string[], depth: number): unknown {
    const entries: unknown[] = [];
    let i = 0;
    try {
      for (; i < keys.length; i++) {
        const key = keys[i]!;
        if (key === '__proto__') throw new Refusal('', PROTO_KEY);
        entries.push([stringValue(key), this.value((value as unknown as Record<string, unknown>)[key], depth + 1)]);
      }
    } catch (error) {
      const key = keys[i]!;
      throw within(error, /^(0|[1-9]\d*)$/.test(key) ? `[${key}]` : propertyPath(key));
    }
    return { $: 'Array', length: value.length, v: entries };
  }

  #map(value: Map<unknown, unknown>, depth: number): unknown {
    const entries: unknown[] = [];
    try {
      Map.prototype.forEach.call(value, (item: unknown, key: unknown) => {
        entries.push([this.value(key, depth + 1), this.value(item, depth + 1)]);
      });
    } catch (error) {
      throw within(error, `<entry ${entries.length}>`);
    }
    return { $: 'Map', v: entries };
  }

  #set(value: Set<unknown>, depth: number): unknown {
    const elements: unknown[] = [];
    try {
      Set.prototype.forEach.call(value, (element: unknown) => {
        elements.push(this.value(element, depth + 1));
      });
    } catch (error) {
      throw within(error, `<entry ${elements.length}>`);
    }
    return { $: 'Set', v: elements };
  }

  #view(view: ArrayBufferView, depth: number): unknown {
    const name = typedArrayName.call(view) as string | undefined;
    const kind = name ?? 'DataView';
    let buffer: ArrayBuffer;
    let byteOffset: number;
    let length: number;
    try {
      buffer = (name ? typedArrayBuffer : dataViewBuffer).call(view) as ArrayBuffer;
      bufferLength.call(buffer);
    } catch {
      throw new Refusal('', `${kind} over a SharedArrayBuffer`);
    }
    try {
      if (name) typedArrayAt.call(view, 0);
      byteOffset = (name ? typedArrayOffset : dataViewOffset).call(view) as number;
      length = (name ? typedArrayLength : dataViewLength).call(view) as number;
    } catch {
      throw new Refusal('', `${kind} out of its buffer's bounds (its buffer is detached or was shrunk)`);
    }
    const node: Record<string, unknown> = { $: kind, v: this.#object(buffer, depth, false) };
    if (byteOffset !== 0) node.byteOffset = byteOffset;
    const size = VIEW_SIZES[kind] ?? 1;
    const byteLength = bufferLength.call(buffer) as number;
    const lengthFree = bufferResizable?.call(buffer) ? tracksLength(view, buffer as ResizableBuffer, byteOffset, length, size) : byteOffset + length * size === byteLength;
    if (!lengthFree) node[name ? 'length' : 'byteLength'] = length;
    return node;
  }
}

/**
 * Whether a view over a resizable buffer tracks the buffer's length. No JavaScript API tells, so a structured clone
 * of the view is resized and watched; only a view that ends where the buffer does needs this.
 */
function tracksLength(view: ArrayBufferView, buffer: ResizableBuffer, byteOffset: number, length: number, size: number): boolean {
  if (length !== Math.floor((buffer.byteLength - byteOffset) / size)) return false;
  const clone = (globalThis as { structuredClone?: <T>(value: T) => T }).structuredClone;
  if (!clone) throw new Refusal('', 'view over a resizable ArrayBuffer (structuredClone is missing here to tell whether it tracks its length)');
  const probe = clone(view);
  const probed = probe.buffer as ResizableBuffer;
  const readLength = () => (ArrayBuffer.isView(probe) && typedArrayName.call(probe) ? typedArrayLength : dataViewLength).call(probe) as number;
  const grown = byteOffset + (length + 1) * size;
  if (grown <= probed.maxByteLength) {
    probed.resize(grown);
    return readLength() === length + 1;
  }
  // It cannot grow by an element: shrunk to its offset, a view of fixed length goes out of bounds, a tracking one
  // does not. (A fixed view of length 0 stays in bounds, and behaves as a tracking one in that buffer anyway.)
  probed.resize(byteOffset);
  try {
    readLength();
    if (typedArrayName.call(probe)) typedArrayAt.call(probe, 0);
    return true;
  } catch {
    return false;
  }
}

const BOXED: Readonly<Record<string, (this: unknown) => unknown>> = {
  Boolean: Boolean.prototype.valueOf,
  Number: Number.prototype.valueOf,
  String: String.prototype.valueOf,
  BigInt: BigInt.prototype.valueOf,
};

/** What `read` returns, or `undefined` when a built-in method it calls refuses the object (with a `TypeError`). */
function branded<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (error instanceof TypeError) return undefined;
    throw error;
  }
}

function bufferNode(buffer: ArrayBuffer): unknown {
  const byteLength = bufferLength.call(buffer) as number;
  if (byteLength === 0 && isDetached(buffer)) throw new Refusal('', 'detached ArrayBuffer');
  const node: Record<string, unknown> = { $: 'ArrayBuffer', v: toBase64(new Uint8Array(buffer, 0, byteLength)) };
  if (bufferResizable?.call(buffer)) node.maxByteLength = bufferMaxLength!.call(buffer);
  return node;
}

function isDetached(buffer: ArrayBuffer): boolean {
  if (bufferDetached) return bufferDetached.call(buffer) as boolean;
  try {
    ArrayBuffer.prototype.slice.call(buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

/** The objects of `root` reached more than once, walked in the encoder's order (and no deeper than it goes). */
function findShared(root: unknown): Set<object> {
  const seen = new Set<object>();
  const shared = new Set<object>();
  const visit = (value: unknown, depth: number, counted = true): void => {
    if (typeof value !== 'object' || value === null) return;
    if (seen.has(value)) {
      shared.add(value);
      return;
    }
    if (counted && depth >= MAX_DEPTH) return;
    seen.add(value);
    const next = depth + 1;
    if (Array.isArray(value) || isPlainObject(value)) {
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) visit(record[key], next);
    } else if (ArrayBuffer.isView(value)) {
      // A buffer the encoder refuses (shared, detached) is refused before sharing matters.
      visit(branded(() => (typedArrayName.call(value) ? typedArrayBuffer : dataViewBuffer).call(value)), depth, false);
    } else if (value instanceof Map && branded(() => Map.prototype.has.call(value, undefined)) !== undefined) {
      Map.prototype.forEach.call(value, (item: unknown, key: unknown) => {
        visit(key, next);
        visit(item, next);
      });
    } else if (value instanceof Set && branded(() => Set.prototype.has.call(value, undefined)) !== undefined) {
      Set.prototype.forEach.call(value, (element: unknown) => visit(element, next));
    }
  };
  visit(root, 0);
  return shared;
}

class Decoder {
  readonly #made: unknown[] = [];
  readonly #pending: number[] = [];

  /** `objects`: a graph's shared objects, `undefined` outside a graph. */
  constructor(readonly objects: readonly unknown[] | undefined) {}

  value(node: unknown): unknown {
    if (typeof node !== 'object' || node === null) return node;
    if (Array.isArray(node)) return this.#list(node);
    if (isTag(node)) return this.#tag(node);
    return this.#record(node as Record<string, unknown>);
  }

  /** Fills the graph's shared containers, created empty where they were first met so that cycles can close. */
  fillPending(): void {
    for (let index = this.#pending.pop(); index !== undefined; index = this.#pending.pop()) {
      this.#fill(this.#made[index] as object, this.objects![index]);
    }
  }

  #list(node: unknown[]): unknown {
    let copy: unknown[] | undefined;
    for (let i = 0; i < node.length; i++) {
      const item = node[i];
      const decoded = this.value(item);
      if (copy === undefined && decoded !== item) copy = node.slice(0, i);
      if (copy !== undefined) copy.push(decoded);
    }
    return copy ?? node;
  }

  #record(node: Record<string, unknown>): unknown {
    let copy: Record<string, unknown> | undefined;
    const keys = Object.keys(node);
    for (let i = 0; i < keys.length; i++) {
      const item = node[keys[i]!];
      const decoded = this.value(item);
      if (copy === undefined && decoded !== item) {
        copy = {};
        for (let j = 0; j < i; j++) setOwn(copy, keys[j]!, node[keys[j]!]);
      }
      if (copy !== undefined) setOwn(copy, keys[i]!, decoded);
    }
    return copy ?? node;
  }

  #tag(node: Tag): unknown {
    const { $: tag, v } = node;
    switch (tag) {
      case 'undefined':
        return undefined;
      case 'number':
        if (typeof v === 'string' && Object.hasOwn(SPECIAL_NUMBERS, v)) return SPECIAL_NUMBERS[v];
        throw malformed(`number ${describe(v)}`);
      case 'bigint':
        if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
        throw malformed(`bigint ${describe(v)}`);
      case 'string':
        return stringOf(node);
      case 'Date':
        if (v === null || (typeof v === 'number' && Number.isFinite(v))) return new Date(v ?? Number.NaN);
        throw malformed(`Date ${describe(v)}`);
      case 'RegExp':
        if (typeof node.flags !== 'string') throw malformed('RegExp without flags');
        return new RegExp(stringOf(v), node.flags);
      case 'Boolean':
      case 'Number':
      case 'String':
      case 'BigInt': {
        const primitive = this.value(v);
        if (typeof primitive !== tag.toLowerCase()) throw malformed(`${tag} of ${describe(v)}`);
        return Object(primitive) as object;
      }
      case 'ArrayBuffer':
        return bufferOf(node);
      case 'Object':
      case 'Array':
      case 'Map':
      case 'Set': {
        const shell = this.#shell(node);
        this.#fill(shell, node);
        return shell;
      }
      case 'ref':
        return this.#objectAt(v);
    }
    if (typeof tag === 'string' && Object.hasOwn(VIEW_SIZES, tag)) return this.#view(tag, node);
    throw malformed(`unknown tag ${describe(tag)}`);
  }

  /** An empty container for `node`, which is a container's node. */
  #shell(node: unknown): object {
    if (Array.isArray(node)) return [];
    if (!isTag(node)) return {};
    switch (node.$) {
      case 'Object':
        return {};
      case 'Array': {
        const length = node.length;
        if (!Number.isInteger(length) || (length as number) < 0 || (length as number) > 2 ** 32 - 1) throw malformed(`Array of length ${describe(length)}`);
        return new Array(length as number);
      }
      case 'Map':
        return new Map();
      case 'Set':
        return new Set();
    }
    throw new Error('value-codec: no shell for a leaf');
  }

  #fill(shell: object, node: unknown): void {
    if (Array.isArray(node)) {
      for (const item of node) (shell as unknown[]).push(this.value(item));
      return;
    }
    if (!isTag(node)) {
      for (const key of Object.keys(node as object)) setOwn(shell, key, this.value((node as Record<string, unknown>)[key]));
      return;
    }
    const items = node.v;
    if (!Array.isArray(items)) throw malformed(`${String(node.$)} without its entries`);
    switch (node.$) {
      case 'Set':
        for (const item of items) (shell as Set<unknown>).add(this.value(item));
        return;
      case 'Map':
        for (const entry of items) {
          const [key, item] = pair(entry);
          (shell as Map<unknown, unknown>).set(this.value(key), this.value(item));
        }
        return;
      default:
        for (const entry of items) {
          const [key, item] = pair(entry);
          const name = stringOf(key);
          if (node.$ === 'Array' && name === 'length') throw malformed('Array with a "length" entry');
          setOwn(shell, name, this.value(item));
        }
        if (node.$ === 'Array' && (shell as unknown[]).length !== node.length) throw malformed('Array with an entry beyond its length');
    }
  }

  #objectAt(index: unknown): unknown {
    const objects = this.objects;
    if (objects === undefined) throw malformed('a reference outside a graph');
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= objects.length) throw malformed(`reference ${describe(index)}`);
    const made = this.#made[index];
    if (made === IN_PROGRESS) throw malformed(`object ${index} holds itself`);
    if (made !== undefined) return made;
    const node = objects[index];
    if (Array.isArray(node) || (typeof node === 'object' && node !== null && (!isTag(node) || CONTAINER_TAGS.has(node.$)))) {
      const shell = this.#shell(node);
      this.#made[index] = shell;
      this.#pending.push(index);
      return shell;
    }
    this.#made[index] = IN_PROGRESS;
    const value = this.value(node);
    if (typeof value !== 'object' || value === null) throw malformed(`object ${index} is ${describe(node)}`);
    this.#made[index] = value;
    return value;
  }

  #view(kind: string, node: Tag): object {
    const Constructor = (globalThis as unknown as Record<string, unknown>)[kind];
    if (typeof Constructor !== 'function') throw malformed(`${kind}, which this engine lacks`);
    const buffer = this.value(node.v);
    if (!(buffer instanceof ArrayBuffer)) throw malformed(`${kind} without its buffer`);
    const { byteOffset = 0, length, byteLength } = node;
    const size = kind === 'DataView' ? byteLength : length;
    try {
      return size === undefined
        ? new (Constructor as ViewConstructor)(buffer, byteOffset as number)
        : new (Constructor as ViewConstructor)(buffer, byteOffset as number, size as number);
    } catch (error) {
      throw malformed(`${kind} at ${describe(byteOffset)} of length ${describe(size)}: ${(error as Error).message}`);
    }
  }
}

const IN_PROGRESS = {};
const CONTAINER_TAGS = new Set<unknown>(['Object', 'Array', 'Map', 'Set']);

function pair(entry: unknown): [unknown, unknown] {
  if (!Array.isArray(entry) || entry.length !== 2) throw malformed(`entry ${describe(entry)}`);
  return entry as [unknown, unknown];
}

function bufferOf(node: Tag): ArrayBuffer {
  if (typeof node.v !== 'string') throw malformed('ArrayBuffer without its bytes');
  const bytes = fromBase64(node.v);
  const max = node.maxByteLength;
  if (max === undefined) return bytes.buffer as ArrayBuffer;
  if (!Number.isInteger(max) || (max as number) < bytes.length) throw malformed(`ArrayBuffer of maxByteLength ${describe(max)}`);
  const Resizable = ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => ArrayBuffer;
  const buffer = new Resizable(bytes.length, { maxByteLength: max as number });
  new Uint8Array(buffer).set(bytes);
  return buffer;
}

/** Sets an own property as `JSON.parse` and structured clone do: a `__proto__` key is a key, never the prototype. */
function setOwn(target: object, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else (target as Record<string, unknown>)[key] = value;
}

function isTag(value: unknown): value is Tag {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, '$');
}

/** A plain object of any realm: its prototype is null, or a prototype whose own prototype is null (as validation says). */
function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || Object.getPrototypeOf(proto) === null;
}

function numberName(value: number): string {
  return Number.isNaN(value) ? 'NaN' : value === 0 ? '-0' : String(value);
}

const SUSPECT = /[\0\uD800-\uDFFF]/;

/** Whether `jsonb` can hold `text`: no U+0000 (which it refuses), no lone surrogate (which it refuses or replaces). */
function storableString(text: string): boolean {
  const length = text.length;
  // A loop is quicker than the expression on the short strings most keys and values are.
  if (length < 32) {
    let i = 0;
    while (i < length) {
      const unit = text.charCodeAt(i);
      if (unit === 0 || (unit >= 0xd800 && unit <= 0xdfff)) break;
      i++;
    }
    if (i === length) return true;
  } else if (!SUSPECT.test(text)) {
    return true;
  }
  for (let i = 0; i < length; i++) {
    const unit = text.charCodeAt(i);
    if (unit === 0 || (unit >= 0xdc00 && unit <= 0xdfff)) return false;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    }
  }
  return true;
}

function stringValue(text: string): unknown {
  return storableString(text) ? text : stringNode(text);
}

/** The storable runs of `text`, with each code unit `jsonb` cannot hold between them as a number. */
function stringNode(text: string): unknown {
  const parts: (string | number)[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    } else if (unit !== 0 && !(unit >= 0xdc00 && unit <= 0xdfff)) {
      continue;
    }
    if (i > start) parts.push(text.slice(start, i));
    parts.push(unit);
    start = i + 1;
  }
  if (text.length > start) parts.push(text.slice(start));
  return { $: 'string', v: parts };
}

function stringOf(node: unknown): string {
  if (typeof node === 'string') return node;
  if (!isTag(node) || node.$ !== 'string' || !Array.isArray(node.v)) throw malformed(`string ${describe(node)}`);
  let text = '';
  for (const part of node.v as unknown[]) {
    if (typeof part === 'string') text += part;
    else if (Number.isInteger(part) && (part as number) >= 0 && (part as number) <= 0xffff) text += String.fromCharCode(part as number);
    else throw malformed(`string part ${describe(part)}`);
  }
  return text;
}

/** `error` with `at` put in front of its path, when it is a refusal. */
function within(error: unknown, at: string): unknown {
  if (error instanceof Refusal) error.path = at + error.path;
  return error;
}

function propertyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function malformed(detail: string): TypeError {
  return new TypeError(`Not a value the PostgreSQL journal stored: ${detail}`);
}

function describe(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'object' && value !== null ? (Array.isArray(value) ? 'an array' : 'an object') : String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Every pair of base64 digits, by the 12 bits they stand for. */
const BASE64_PAIRS = Array.from({ length: 4096 }, (_, bits) => BASE64[bits >> 6]! + BASE64[bits & 63]!);
const BASE64_VALUES = new Uint8Array(128).fill(255);
for (let i = 0; i < 64; i++) BASE64_VALUES[BASE64.charCodeAt(i)] = i;

function toBase64(bytes: Uint8Array): string {
  const chunks: string[] = [];
  const whole = bytes.length - (bytes.length % 3);
  // Chunks keep the string a flat list of parts rather than one long chain of concatenations.
  for (let start = 0; start < whole; start += 3 * 4096) {
    let chunk = '';
    const end = Math.min(whole, start + 3 * 4096);
    for (let i = start; i < end; i += 3) {
      const bits = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
      chunk += BASE64_PAIRS[bits >> 12]! + BASE64_PAIRS[bits & 4095]!;
    }
    chunks.push(chunk);
  }
  const rest = bytes.length - whole;
  if (rest > 0) {
    const bits = (bytes[whole]! << 16) | (rest === 2 ? bytes[whole + 1]! << 8 : 0);
    chunks.push(BASE64_PAIRS[bits >> 12]! + (rest === 2 ? BASE64[(bits >> 6) & 63]! + '=' : '=='));
  }
  return chunks.join('');
}

function fromBase64(text: string): Uint8Array {
  if (text.length % 4 !== 0) throw malformed('base64 of a length that is not a multiple of 4');
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const bytes = new Uint8Array((text.length / 4) * 3 - padding);
  let out = 0;
  for (let i = 0; i < text.length; i += 4) {
    let bits = 0;
    for (let j = 0; j < 4; j++) {
      const code = text.charCodeAt(i + j);
      const digit = code === 61 && i + j >= text.length - padding ? 0 : code < 128 ? BASE64_VALUES[code]! : 255;
      if (digit === 255) throw malformed(`base64 digit ${JSON.stringify(text[i + j])}`);
      bits = (bits << 6) | digit;
    }
    bytes[out++] = bits >> 16;
    if (out < bytes.length) bytes[out++] = (bits >> 8) & 255;
    if (out < bytes.length) bytes[out++] = bits & 255;
  }
  return bytes;
}
