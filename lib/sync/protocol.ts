/**
 * The sync protocol between a device and `eventfold/server`, as data: the messages and their schemas. Values
 * (commands, events, metadata) travel as JSON in the encoding of `encodeValue`, so that every structured-cloneable
 * value a local journal stores (a Map, a Date, a BigInt, a cycle) arrives as it was sent.
 *
 * Both ends validate what they receive with these schemas: the server every request, the client every answer.
 *
 * @module
 */
import * as v from 'valibot';
import { MAX_ENTITY_ID_LENGTH, MAX_ENTITY_TYPE_LENGTH, MAX_STREAM_ID_LENGTH } from '../core/validation.ts';

/** The protocol's version, the first segment of every path (`/v1/journals/…`). */
export const PROTOCOL_VERSION = 'v1';

/** What a device id looks like: a random id the device made once, safe in a URL. */
export const DEVICE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The most commands one push may hold. */
export const MAX_PUSH_COMMANDS = 1000;

const sequenceNr = v.pipe(v.number(), v.safeInteger(), v.minValue(1));
const position = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const name = (max: number) => v.pipe(v.string(), v.minLength(1), v.maxLength(max));
const count = v.pipe(v.string(), v.regex(/^\d{1,15}$/), v.transform(Number));

/** One command a device accepted offline, as pushed. */
export interface PushedCommand {
  /** The device's gapless sequence number of the command: 1, 2, 3… */
  readonly seq: number;
  /** The command's immutable id, the `causationId` of its events. */
  readonly commandId: string;
  /** The entity type the command is for. */
  readonly type: string;
  /** The entity id. */
  readonly id: string;
  /** The command, encoded (`encodeValue`). */
  readonly command: unknown;
  /** The flow the command belongs to. */
  readonly correlationId?: string;
  /** The command's metadata, encoded. */
  readonly metadata?: unknown;
  /**
   * The types and schema versions of the events the device predicted: never stored (a client's events are only its
   * prediction), but a version the server does not know tells that the device runs a newer schema.
   */
  readonly predicted?: readonly {
    /** The predicted event's type. */
    readonly type: string;
    /** The version of its type's schema. */
    readonly schemaVersion: number;
  }[];
}

/** A push: a device's commands, in its order, with consecutive sequence numbers. */
export interface PushRequest {
  /** The device's id (`DEVICE_ID`). */
  readonly deviceId: string;
  /**
   * The journal's epoch the device knows (none before its first pull): commands meant for an earlier life of the
   * journal are refused (`409 epoch-changed`) rather than decided on a new one.
   */
  readonly epoch?: string;
  /** From 1 to `MAX_PUSH_COMMANDS` commands. */
  readonly commands: readonly PushedCommand[];
}

/**
 * What the server decided for one command, stored with it: a retry of its sequence number gets the same answer.
 * - `confirmed`: its events (none, or some) are in the journal, the last of them at `position` and at `sequenceNr`
 *   in its entity's stream; they are the device's to pull.
 * - `rejected`: the entity refused it on the journal's state, with the decider's `reason`.
 * - `unsupported`: the server cannot decide it: an entity type it does not serve, or an event type or schema
 *   version it does not know (the device runs a newer build).
 * - `failed`: the server's entity failed on it (`decide` threw, or returned events that cannot be stored); `reason`
 *   says how. Durable too: a command never blocks the commands after it.
 */
export type Outcome = ConfirmedOutcome | RefusedOutcome;

/** A command whose events are in the journal. */
export interface ConfirmedOutcome {
  /** The command's sequence number on its device. */
  readonly seq: number;
  /** The command's id. */
  readonly commandId: string;
  /** Its events are stored. */
  readonly status: 'confirmed';
  /** How many events the command recorded. */
  readonly events: number;
  /** The position of its last event; 0 when it recorded none. */
  readonly position: number;
  /** The sequence number of its last event in its entity's stream; 0 when it recorded none. */
  readonly sequenceNr: number;
}

/** A command the server did not store events for, and why. */
export interface RefusedOutcome {
  /** The command's sequence number on its device. */
  readonly seq: number;
  /** The command's id. */
  readonly commandId: string;
  /** How the server refused it (see `Outcome`). */
  readonly status: 'rejected' | 'unsupported' | 'failed';
  /** Why, in the decider's words for a rejection. */
  readonly reason: string;
}

/** The answer to a push: the outcome of each command pushed, in order, and where the device stands. */
export interface PushResponse {
  /** The journal's epoch: another one than the device knew means the journal was created again. */
  readonly epoch: string;
  /** The device's last sequence number decided. */
  readonly lastSeq: number;
  /** One per command pushed. */
  readonly outcomes: readonly Outcome[];
}

/** An event of the journal, as pulled: the stored envelope, its values encoded. */
export interface WireEvent {
  /** Its global position in the journal. */
  readonly position: number;
  /** The event's stream. */
  readonly streamId: string;
  /** Its position in the stream: 1 for the first event, then contiguous. */
  readonly sequenceNr: number;
  /** Its unique id. */
  readonly eventId: string;
  /** The event's type name. */
  readonly type: string;
  /** The version of the event type's schema the payload follows. */
  readonly schemaVersion: number;
  /** The event, encoded. */
  readonly event: unknown;
  /** Its metadata, encoded. */
  readonly metadata: unknown;
  /** When the server recorded it, in milliseconds since the Unix epoch. */
  readonly timestamp: number;
}

/** The query of a pull. */
export interface PullQuery {
  /** The device's id. */
  readonly device: string;
  /** The device's cursor: the position of the last event it holds (0 for none). */
  readonly after: number;
  /** The last sequence number whose outcome the device holds. */
  readonly outcomesAfter: number;
  /** At most this many events, and as many outcomes (1 to 10,000; default 1,000). */
  readonly limit: number;
}

/** The answer to a pull: events after the cursor, in order, and this device's outcomes after its last. */
export interface PullResponse {
  /** The journal's epoch. */
  readonly epoch: string;
  /** The journal's head when the pull was read: there is more to pull while the cursor is below it. */
  readonly head: number;
  /** The device's last sequence number decided. */
  readonly lastSeq: number;
  /**
   * The id of the journal's event at the device's cursor (`null` when there is none): a device whose last event had
   * another id follows a journal restored from an earlier backup, and starts over.
   */
  readonly cursorEventId: string | null;
  /** The events after the cursor, at most `limit`, by position. */
  readonly events: readonly WireEvent[];
  /** The device's outcomes after `outcomesAfter`, at most `limit`, by sequence number. */
  readonly outcomes: readonly Outcome[];
}

/** Every error the server answers with: a code to branch on, a message for people, whether to try again. */
export interface ErrorBody {
  /** The error, with the details its code has (as `expectedSeq` for `out-of-order`). */
  readonly error: {
    /** What went wrong, to branch on (`WireErrorCode`). */
    readonly code: string;
    /** What went wrong, for people. */
    readonly message: string;
    /** Whether the same request may succeed later. */
    readonly retryable: boolean;
    readonly [detail: string]: unknown;
  };
}

/** The schema of `PushedCommand`. */
export const PushedCommandSchema: v.GenericSchema<unknown, PushedCommand> = v.strictObject({
  seq: sequenceNr,
  commandId: name(MAX_ENTITY_ID_LENGTH),
  type: name(MAX_ENTITY_TYPE_LENGTH),
  id: name(MAX_ENTITY_ID_LENGTH),
  command: v.unknown(),
  correlationId: v.optional(name(MAX_ENTITY_ID_LENGTH)),
  metadata: v.optional(v.unknown()),
  // As many as the command recorded: the push's size is what bounds them.
  predicted: v.optional(v.array(v.strictObject({ type: name(MAX_ENTITY_TYPE_LENGTH), schemaVersion: sequenceNr }))),
});

/** The schema of `PushRequest`. */
export const PushRequestSchema: v.GenericSchema<unknown, PushRequest> = v.pipe(
  v.strictObject({
    deviceId: v.pipe(v.string(), v.regex(DEVICE_ID)),
    epoch: v.optional(name(128)),
    commands: v.pipe(v.array(PushedCommandSchema), v.minLength(1), v.maxLength(MAX_PUSH_COMMANDS)),
  }),
  v.check(({ commands }) => commands.every(({ seq }, i) => i === 0 || seq === commands[i - 1]!.seq + 1), 'the commands of a push have consecutive sequence numbers'),
);

/** The schema of `Outcome`. */
export const OutcomeSchema: v.GenericSchema<unknown, Outcome> = v.variant('status', [
  v.strictObject({ seq: sequenceNr, commandId: name(MAX_ENTITY_ID_LENGTH), status: v.literal('confirmed'), events: position, position, sequenceNr: position }),
  v.strictObject({ seq: sequenceNr, commandId: name(MAX_ENTITY_ID_LENGTH), status: v.picklist(['rejected', 'unsupported', 'failed']), reason: v.string() }),
]);

/** The schema of `PushResponse`. */
export const PushResponseSchema: v.GenericSchema<unknown, PushResponse> = v.strictObject({ epoch: v.string(), lastSeq: position, outcomes: v.array(OutcomeSchema) });

/** The schema of `WireEvent`. */
export const WireEventSchema: v.GenericSchema<unknown, WireEvent> = v.strictObject({
  position: sequenceNr,
  streamId: name(MAX_STREAM_ID_LENGTH),
  sequenceNr,
  eventId: name(MAX_ENTITY_ID_LENGTH),
  type: name(MAX_ENTITY_TYPE_LENGTH),
  schemaVersion: sequenceNr,
  event: v.unknown(),
  metadata: v.unknown(),
  timestamp: v.pipe(v.number(), v.finite()),
});

/** The schema of a pull's query string (`PullQuery`, from its text). */
export const PullQuerySchema: v.GenericSchema<unknown, PullQuery> = v.strictObject({
  device: v.pipe(v.string(), v.regex(DEVICE_ID)),
  after: count,
  outcomesAfter: v.optional(count, '0'),
  limit: v.optional(v.pipe(v.string(), v.regex(/^\d{1,5}$/), v.transform(Number), v.minValue(1), v.maxValue(10_000)), '1000'),
});

/** The schema of `PullResponse`. */
export const PullResponseSchema: v.GenericSchema<unknown, PullResponse> = v.strictObject({
  epoch: v.string(),
  head: position,
  lastSeq: position,
  cursorEventId: v.nullable(v.string()),
  events: v.array(WireEventSchema),
  outcomes: v.array(OutcomeSchema),
});

/** The schema of `ErrorBody`. */
export const ErrorBodySchema: v.GenericSchema<unknown, ErrorBody> = v.strictObject({
  error: v.looseObject({ code: v.string(), message: v.string(), retryable: v.boolean() }),
});

/**
 * The codes of the server's errors. `out-of-order`: the push does not start at the device's next sequence number
 * (`expectedSeq` says which); `sequence-reused`: a sequence number already decided came with another command id.
 */
export type WireErrorCode =
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'invalid-request'
  | 'too-large'
  | 'rate-limited'
  | 'out-of-order'
  | 'sequence-reused'
  | 'epoch-changed'
  | 'unavailable'
  | 'internal';
