import { ConflictError, InvalidArgumentError, NotCloneableError } from './errors.ts';
import type { IdempotencyRecord, NewEvent, Snapshot } from './journal.ts';

/** Longest entity id accepted by the runtime: ids are keys, and keys are copied into every event record. */
export const MAX_ENTITY_ID_LENGTH = 512;

/** Longest entity type name a runtime accepts. */
export const MAX_ENTITY_TYPE_LENGTH = 128;

/**
 * Longest stream id a journal accepts: an entity type, `:` and an entity id of the longest lengths, so that every id
 * the runtime accepts can be stored.
 */
export const MAX_STREAM_ID_LENGTH = MAX_ENTITY_TYPE_LENGTH + 1 + MAX_ENTITY_ID_LENGTH;

/** Throws an `InvalidArgumentError` unless `entityId` is a non-empty string of at most `MAX_ENTITY_ID_LENGTH` characters. */
export function assertEntityId(entityId: unknown): asserts entityId is string {
  assertName(entityId, 'entityId');
}

/** Throws an `InvalidArgumentError` unless `streamId` is a non-empty string of at most `MAX_STREAM_ID_LENGTH` characters. */
export function assertStreamId(streamId: unknown, argument = 'streamId'): asserts streamId is string {
  assertName(streamId, argument, MAX_STREAM_ID_LENGTH);
}

/** Throws an `InvalidArgumentError` unless `value` is an integer of at least `min`. */
export function assertSequenceNr(value: unknown, argument: string, min = 1): asserts value is number {
  if (!Number.isSafeInteger(value) || (value as number) < min) throw invalidArgument(argument, `an integer of at least ${min}`, value);
}

/** The most events `historyAt` gives with a state: the tail a view shows, not a read of the history. */
export const MAX_HISTORY_WINDOW = 10_000;

/** Checks the number of events asked for with a state (`historyAt`): 0 to `MAX_HISTORY_WINDOW`. */
export function assertTail(value: unknown): asserts value is number {
  assertSequenceNr(value, 'tail', 0);
  if (value > MAX_HISTORY_WINDOW) throw invalidArgument('tail', `at most ${MAX_HISTORY_WINDOW}`, value);
}

/**
 * Checks a batch before it is written: each element is a well-formed `NewEvent` (envelope fields included) of
 * cloneable data, and the sequence numbers are contiguous. Returns what the batch's payloads weigh (see
 * `assertCloneable`).
 */
export function validateBatch(entityId: string, events: readonly NewEvent[]): number {
  if (!Array.isArray(events)) throw invalidArgument('events', 'an array', events);
  const first = events[0]?.sequenceNr ?? 0;
  // The events of one command share their metadata: check each object once.
  let checkedMetadata: unknown;
  let bytes = 0;
  events.forEach((persisted, index) => {
    const at = `events[${index}]`;
    if (typeof persisted !== 'object' || persisted === null) throw invalidArgument('events', 'an event envelope', persisted, at);
    assertSequenceNr(persisted.sequenceNr, `${at}.sequenceNr`);
    assertTimestamp(persisted.timestamp, `${at}.timestamp`);
    assertName(persisted.eventId, `${at}.eventId`);
    assertName(persisted.type, `${at}.type`);
    assertSequenceNr(persisted.schemaVersion, `${at}.schemaVersion`);
    if (persisted.sequenceNr !== first + index) {
      throw new ConflictError(
        entityId,
        first - 1,
        first - 1,
        `${at} has sequence number ${persisted.sequenceNr} where ${first + index} continues the batch`,
      );
    }
    const { metadata } = persisted;
    if (metadata !== checkedMetadata) {
      assertCloneable(assertRecord(metadata, 'events', `${at}.metadata`), `${at}.metadata`);
      checkedMetadata = metadata;
    }
    bytes += assertCloneable(persisted.event, `${at}.event`, MAX_PAYLOAD_BYTES);
  });
  return bytes;
}

/** Checks the idempotency records of a write. */
export function validateIdempotency(records: readonly IdempotencyRecord[]): void {
  if (!Array.isArray(records)) throw invalidArgument('idempotency', 'an array', records);
  records.forEach((record, index) => {
    const at = `idempotency[${index}]`;
    assertName(record?.key, `${at}.key`);
    assertName(record.fingerprint, `${at}.fingerprint`);
    assertName(record.commandId, `${at}.commandId`);
    assertSequenceNr(record.fromSequenceNr, `${at}.fromSequenceNr`);
    assertSequenceNr(record.toSequenceNr, `${at}.toSequenceNr`, 0);
    assertTimestamp(record.timestamp, `${at}.timestamp`);
  });
}

/**
 * Throws an `InvalidArgumentError` unless `value` is a non-empty string of at most `max` characters (default 512),
 * of well-formed Unicode without U+0000. Names are keys in every store: PostgreSQL's text holds neither U+0000 nor a
 * lone surrogate, so a name a local journal accepted could never be synced; both are refused everywhere.
 */
export function assertName(value: unknown, argument: string, max = MAX_ENTITY_ID_LENGTH): asserts value is string {
  if (!isName(value, max)) {
    throw invalidArgument(argument, `a non-empty string of at most ${max} characters, without U+0000 or lone surrogates`, value);
  }
}

/** Whether `value` passes `assertName`. */
export function isName(value: unknown, max = MAX_ENTITY_ID_LENGTH): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max && !UNSTORABLE_IN_NAMES.test(value);
}

/** U+0000, or a surrogate that is not half of a pair. */
const UNSTORABLE_IN_NAMES = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Throws a `ConflictError` unless a batch starting at `first` continues a stream whose newest event is `highest`. */
export function assertAppendsTo(entityId: string, first: number, highest: number): void {
  if (first !== highest + 1) {
    throw new ConflictError(
      entityId,
      first - 1,
      highest,
      first <= highest ? `sequence number ${first} is already taken` : `sequence number ${highest + 1} would be skipped`,
    );
  }
}

/** Checks a snapshot's shape and data before it is written. */
export function validateSnapshot(snapshot: Snapshot): void {
  if (typeof snapshot !== 'object' || snapshot === null) throw invalidArgument('snapshot', 'a Snapshot', snapshot);
  assertSequenceNr(snapshot.sequenceNr, 'snapshot.sequenceNr');
  assertTimestamp(snapshot.timestamp, 'snapshot.timestamp');
  if (snapshot.schemaVersion !== undefined) assertSequenceNr(snapshot.schemaVersion, 'snapshot.schemaVersion');
  assertCloneable(snapshot.state, 'snapshot.state');
}

function assertTimestamp(value: unknown, argument: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidArgument(argument, 'a finite number', value);
}

/** How deep values may nest: deeper ones are refused rather than risking the stack. */
export const MAX_DEPTH = 256;

/** The most a command or an event may weigh, counting its strings and binary data: 1 MiB. */
export const MAX_PAYLOAD_BYTES = 1 << 20;

/** The most commands one `sendAll` call carries. */
export const MAX_COMMANDS_PER_CALL = 10_000;

/**
 * Throws a `NotCloneableError` naming the first value inside `value` that IndexedDB cannot store faithfully, or
 * that eventfold refuses: nested deeper than `MAX_DEPTH`, or an own key `__proto__` (prototype pollution waiting for
 * a careless merge). With `maxBytes`, also a value heavier than that (strings at 2 bytes a character).
 *
 * Returns what the value weighs, as counted for `maxBytes`.
 *
 * Stricter than the structured clone algorithm on purpose: class instances clone without their prototype and
 * come back as plain objects with no methods, and symbol keys are silently dropped. Both are bugs waiting in a
 * replay, so both are refused here, where the path to the offending value can still be reported.
 */
export function assertCloneable(value: unknown, path: string, maxBytes = Number.POSITIVE_INFINITY): number {
  const walk = { seen: new Set<object>(), bytes: 0, maxBytes };
  const found = findUncloneable(value, walk, 0);
  if (found) throw new NotCloneableError(path + found.path, found.kind);
  return walk.bytes;
}

interface Uncloneable {
  path: string;
  kind: string;
}

interface Walk {
  readonly seen: Set<object>;
  bytes: number;
  readonly maxBytes: number;
}

const CLONEABLE_TAGS = new Set(['Date', 'RegExp', 'ArrayBuffer', 'Boolean', 'Number', 'String', 'BigInt']);

function findUncloneable(value: unknown, walk: Walk, depth: number): Uncloneable | undefined {
  switch (typeof value) {
    case 'function':
    case 'symbol':
      return { path: '', kind: typeof value };
    case 'string':
      return weigh(walk, value.length * 2);
    case 'object':
      break;
    default:
      return weigh(walk, 8);
  }
  if (value === null || walk.seen.has(value)) return undefined;
  if (depth >= MAX_DEPTH) return { path: '', kind: `value nested more than ${MAX_DEPTH} levels deep` };
  walk.seen.add(value);
  const inner = (child: unknown, at: string): Uncloneable | undefined => {
    const found = findUncloneable(child, walk, depth + 1);
    return found && { path: at + found.path, kind: found.kind };
  };

  if (Array.isArray(value)) {
    // Own keys, not 0…length: a sparse array of length 1e9 holds few values, and named properties are stored too.
    if (Object.getOwnPropertySymbols(value).length > 0) return { path: '', kind: 'array with symbol keys' };
    for (const key of Object.keys(value)) {
      const named = !isArrayIndex(key);
      const found = (named ? weigh(walk, key.length * 2) : undefined) ?? inner((value as unknown as Record<string, unknown>)[key], named ? propertyPath(key) : `[${key}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (isPlainObject(value)) {
    if (Object.getOwnPropertySymbols(value).length > 0) return { path: '', kind: 'object with symbol keys' };
    for (const key of Object.keys(value)) {
      if (key === '__proto__') return { path: propertyPath(key), kind: 'key "__proto__" (a prototype-pollution vector)' };
      const found = weigh(walk, key.length * 2) ?? inner((value as Record<string, unknown>)[key], propertyPath(key));
      if (found) return found;
    }
    return undefined;
  }
  if (ArrayBuffer.isView(value)) return weigh(walk, value.byteLength);
  if (value instanceof ArrayBuffer) return weigh(walk, value.byteLength);
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  if (CLONEABLE_TAGS.has(tag)) return weigh(walk, 16);
  if (value instanceof Map || value instanceof Set) {
    let i = 0;
    // A Map's entry is its key and its value, both checked; a Set's is its element.
    for (const entry of value) {
      const at = `<entry ${i++}>`;
      for (const part of value instanceof Map ? (entry as unknown[]) : [entry]) {
        const found = inner(part, at);
        if (found) return found;
      }
    }
    return undefined;
  }
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return { path: '', kind: typeof name === 'string' && name !== '' && name !== 'Object' ? name : tag };
}

/** Adds `bytes` to the walk's weight; past its limit, the value is refused. */
function weigh(walk: Walk, bytes: number): Uncloneable | undefined {
  walk.bytes += bytes;
  return walk.bytes > walk.maxBytes ? { path: '', kind: `value heavier than ${walk.maxBytes} bytes` } : undefined;
}

/** A plain object of any realm: its prototype is null, or a prototype whose own prototype is null. */
function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** Whether an array's own key is one of its indices (0 to 2³² - 2, written canonically). */
function isArrayIndex(key: string): boolean {
  return String(Number(key) >>> 0) === key && key !== '4294967295';
}

function propertyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/**
 * The `InvalidArgumentError` for a value that is not what it must be: "`path` must be `expected`, got …", naming
 * `argument` as the one at fault.
 */
export function invalidArgument(argument: string, expected: string, value: unknown, path = argument): InvalidArgumentError {
  return new InvalidArgumentError(`${path} must be ${expected}, got ${describe(value)}`, argument);
}

/** Returns `value` when it is an object that is not an array; throws `invalidArgument` otherwise. */
export function assertRecord<T>(value: T, argument: string, path = argument): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidArgument(argument, 'an object', value, path);
  return value;
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  return Array.isArray(value) ? 'an array' : 'an object';
}

/**
 * What is wrong with what an entity's handler returned, or `undefined` when nothing is. Handlers are synchronous, so a
 * Promise is wrong from either (an `async decide`, say); `decide` must also return an array of events or a
 * rejection. A returned Promise that rejects is handled here, so that it cannot become an unhandled rejection.
 */
export function returnedProblem(handler: 'decide' | 'evolve', value: unknown): { returned: string; advice: string } | undefined {
  if (typeof (value as { then?: unknown } | null | undefined)?.then === 'function') {
    try {
      (value as PromiseLike<unknown>).then(undefined, () => {});
    } catch {
      // A thenable whose `then` throws is refused all the same.
    }
    const advice = handler === 'decide'
      ? 'read what it needs before the command is sent, and return the events or reject(reason)'
      : 'return the next state itself';
    return { returned: 'a Promise', advice: `${handler} must be synchronous: ${advice}` };
  }
  if (handler === 'decide' && !Array.isArray(value) && typeof (value as { rejected?: unknown } | null)?.rejected !== 'string') {
    return { returned: describe(value), advice: 'decide must return an array of events ([] for none) or reject(reason)' };
  }
  return undefined;
}

/** Checks the bounds of `load`: `from` at least 1, `to` (when given) at least 0. */
export function assertRange(fromSequenceNr: unknown, toSequenceNr: unknown): void {
  assertSequenceNr(fromSequenceNr, 'fromSequenceNr');
  if (toSequenceNr !== undefined) assertSequenceNr(toSequenceNr, 'toSequenceNr', 0);
}
