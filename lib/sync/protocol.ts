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

/** One command a device accepted offline, as pushed. */
export const PushedCommandSchema = v.strictObject({
  /** The device's gapless sequence number of the command: 1, 2, 3… */
  seq: sequenceNr,
  /** The command's immutable id, the `causationId` of its events. */
  commandId: name(128),
  /** The entity type and id the command is for. */
  type: name(MAX_ENTITY_TYPE_LENGTH),
  id: name(MAX_ENTITY_ID_LENGTH),
  /** The command, encoded (`encodeValue`). */
  command: v.unknown(),
  correlationId: v.optional(name(MAX_ENTITY_ID_LENGTH)),
  /** The command's metadata, encoded. */
  metadata: v.optional(v.unknown()),
  /**
   * The types and schema versions of the events the device predicted: never stored (a client's events are only its
   * prediction), but a version the server does not know tells that the device runs a newer schema.
   */
  predicted: v.optional(v.pipe(v.array(v.strictObject({ type: name(MAX_ENTITY_TYPE_LENGTH), schemaVersion: sequenceNr })), v.maxLength(1000))),
});

/** A push: a device's commands, in its order, from the first the server has not confirmed having decided. */
export const PushRequestSchema = v.pipe(
  v.strictObject({
    deviceId: v.pipe(v.string(), v.regex(DEVICE_ID)),
    commands: v.pipe(v.array(PushedCommandSchema), v.minLength(1), v.maxLength(MAX_PUSH_COMMANDS)),
  }),
  v.check(({ commands }) => commands.every(({ seq }, i) => i === 0 || seq === commands[i - 1]!.seq + 1), 'the commands of a push have consecutive sequence numbers'),
);

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
export const OutcomeSchema = v.variant('status', [
  v.strictObject({
    seq: sequenceNr,
    commandId: name(128),
    status: v.literal('confirmed'),
    /** How many events the command recorded. */
    events: position,
    /** The position of its last event; 0 when it recorded none. */
    position,
    /** The sequence number of its last event in its entity's stream; 0 when it recorded none. */
    sequenceNr: position,
  }),
  v.strictObject({ seq: sequenceNr, commandId: name(128), status: v.picklist(['rejected', 'unsupported', 'failed']), reason: v.string() }),
]);

/** The answer to a push: the outcome of each command pushed, in order, and where the device stands. */
export const PushResponseSchema = v.strictObject({
  epoch: v.string(),
  /** The device's last sequence number decided. */
  lastSeq: position,
  outcomes: v.array(OutcomeSchema),
});

/** An event of the journal, as pulled. */
export const WireEventSchema = v.strictObject({
  position: sequenceNr,
  streamId: name(MAX_STREAM_ID_LENGTH),
  sequenceNr,
  eventId: name(MAX_ENTITY_ID_LENGTH),
  type: name(MAX_ENTITY_TYPE_LENGTH),
  schemaVersion: sequenceNr,
  /** The event, encoded. */
  event: v.unknown(),
  /** Its metadata, encoded. */
  metadata: v.unknown(),
  timestamp: v.pipe(v.number(), v.finite()),
});

/** The query of a pull. */
export const PullQuerySchema = v.strictObject({
  device: v.pipe(v.string(), v.regex(DEVICE_ID)),
  /** The device's cursor: the position of the last event it holds (0 for none). */
  after: v.pipe(v.string(), v.regex(/^\d{1,15}$/), v.transform(Number)),
  /** The last sequence number whose outcome the device holds. */
  outcomesAfter: v.optional(v.pipe(v.string(), v.regex(/^\d{1,15}$/), v.transform(Number)), '0'),
  limit: v.optional(v.pipe(v.string(), v.regex(/^\d{1,5}$/), v.transform(Number), v.minValue(1), v.maxValue(10_000)), '1000'),
});

/** The answer to a pull: events after the cursor, in order, and this device's outcomes after its last. */
export const PullResponseSchema = v.strictObject({
  epoch: v.string(),
  /** The journal's head when the pull was read: there is more to pull while the cursor is below it. */
  head: position,
  lastSeq: position,
  events: v.array(WireEventSchema),
  outcomes: v.array(OutcomeSchema),
});

/** Every error the server answers with: a code to branch on, a message for people, whether to try again. */
export const ErrorBodySchema = v.strictObject({
  error: v.looseObject({ code: v.string(), message: v.string(), retryable: v.boolean() }),
});

export type PushedCommand = v.InferOutput<typeof PushedCommandSchema>;
export type PushRequest = v.InferOutput<typeof PushRequestSchema>;
export type Outcome = v.InferOutput<typeof OutcomeSchema>;
export type PushResponse = v.InferOutput<typeof PushResponseSchema>;
export type WireEvent = v.InferOutput<typeof WireEventSchema>;
export type PullQuery = v.InferOutput<typeof PullQuerySchema>;
export type PullResponse = v.InferOutput<typeof PullResponseSchema>;
export type ErrorBody = v.InferOutput<typeof ErrorBodySchema>;

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
  | 'unavailable'
  | 'internal';
