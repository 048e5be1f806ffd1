/// <reference types="node" />
import {
  type Checkpoint,
  CorruptedDataError,
  type IdempotencyRecord,
  type PersistedEvent,
  type Snapshot,
} from 'eventfold';
import type { AcceptedWrite } from 'eventfold/kit';
import { decodeValue, encodeValue } from 'eventfold/kit';

/**
 * Rows of the journal's tables to and from eventfold's types. Values (payloads, metadata, states, documents) go
 * through `encodeValue` (`eventfold/kit`), so that whatever a local journal stores comes back exactly; numbers that PostgreSQL keeps
 * as `bigint` come back as numbers (every one eventfold writes is a safe integer).
 *
 * @internal
 */

/** A `bigint` column as a number (`pg` reads `bigint` as a string, PGlite as a number). */
export const int = (value: unknown): number => Number(value);

/** A `double precision` to bind: the text `-0` for -0, which a JSON number cannot say. */
const double = (value: number): number | string => (Object.is(value, -0) ? '-0' : value);

/** An event row of `load` or `loadAfter` as a stored event; a value the codec cannot read is a `CorruptedDataError`. */
export function eventOf(row: Record<string, unknown>, streamId: string): PersistedEvent {
  const sequenceNr = int(row.sequence_nr);
  return {
    position: int(row.position),
    sequenceNr,
    eventId: row.event_id as string,
    type: row.type as string,
    schemaVersion: row.schema_version as number,
    event: decoded(row.data, streamId, sequenceNr, 'event'),
    metadata: decoded(row.metadata, streamId, sequenceNr, 'metadata') as PersistedEvent['metadata'],
    timestamp: row.timestamp as number,
  };
}

/** A value read back, or a `CorruptedDataError` naming the event or snapshot it belongs to. */
export function decoded(stored: unknown, streamId: string, sequenceNr: number, what: string): unknown {
  try {
    return decodeValue(stored);
  } catch (error) {
    throw new CorruptedDataError(streamId, sequenceNr, `its ${what} cannot be read: ${(error as Error).message}`);
  }
}

/** A snapshot row as a snapshot; `schemaVersion` is absent when it was. */
export function snapshotOf(row: Record<string, unknown>, streamId: string): Snapshot {
  const sequenceNr = int(row.sequence_nr);
  return {
    sequenceNr,
    state: decoded(row.state, streamId, sequenceNr, 'snapshot state'),
    timestamp: row.timestamp as number,
    ...(row.schema_version !== null && { schemaVersion: row.schema_version as number }),
    checksum: row.checksum as string,
  };
}

/** An idempotency row as a record. */
export function idempotencyRecordOf(row: Record<string, unknown>): IdempotencyRecord {
  return {
    key: row.key as string,
    fingerprint: row.fingerprint as string,
    commandId: row.command_id as string,
    fromSequenceNr: int(row.from_sequence_nr),
    toSequenceNr: int(row.to_sequence_nr),
    timestamp: row.timestamp as number,
  };
}

/** A checkpoint's columns (position, rebuild position, rebuild total) as a `Checkpoint`. */
export function checkpointOf(position: unknown, rebuildPosition: unknown, rebuildTotal: unknown): Checkpoint {
  return rebuildPosition === null || rebuildPosition === undefined
    ? { position: int(position) }
    : { position: int(position), rebuilding: { position: int(rebuildPosition), total: int(rebuildTotal) } };
}

/** A stored checkpoint with the generation of its served documents, as `writeState` reads it. */
export interface StoredCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly generation: number;
}

/** `writeState`'s checkpoints (`{name: [position, rebuild position, rebuild total, generation]}`) by projection. */
export function storedCheckpointsOf(stored: Record<string, unknown[]>): Map<string, StoredCheckpoint> {
  return new Map(
    Object.entries(stored).map(([name, [position, rebuildPosition, rebuildTotal, generation]]) => [
      name,
      { checkpoint: checkpointOf(position, rebuildPosition, rebuildTotal), generation: int(generation) },
    ]),
  );
}

/** The row of a checkpoint to store with the generation its served documents are in. */
export function checkpointRow(projection: string, checkpoint: Checkpoint, generation: number) {
  return {
    projection,
    position: checkpoint.position,
    rebuild_position: checkpoint.rebuilding?.position ?? null,
    rebuild_total: checkpoint.rebuilding?.total ?? null,
    generation,
  };
}

/** A value in the JSON form of a `jsonb` column (see `encodeValue`); throws a `NotCloneableError` naming `path`. */
export const encoded: (value: unknown, path: string) => unknown = encodeValue;

/** The rows that accepted writes store: events, stream heads, snapshots (the last per sequence number), keys. */
export function writeRows(accepted: readonly AcceptedWrite[]) {
  const events: object[] = [];
  const heads = new Map<string, number>();
  const snapshots = new Map<string, object>();
  const keys: object[] = [];
  for (const { streamId, events: batch, positions, snapshot, idempotency = [] } of accepted) {
    batch.forEach((event, i) => {
      events.push({
        position: positions[i],
        stream_id: streamId,
        sequence_nr: event.sequenceNr,
        event_id: event.eventId,
        type: event.type,
        schema_version: event.schemaVersion,
        data: encoded(event.event, `events[${i}].event`),
        metadata: encoded(event.metadata, `events[${i}].metadata`),
        timestamp: double(event.timestamp),
      });
    });
    const last = batch.at(-1);
    if (last) heads.set(streamId, last.sequenceNr);
    if (snapshot) {
      snapshots.set(JSON.stringify([streamId, snapshot.sequenceNr]), {
        stream_id: streamId,
        sequence_nr: snapshot.sequenceNr,
        state: encoded(snapshot.state, 'snapshot.state'),
        timestamp: double(snapshot.timestamp),
        schema_version: snapshot.schemaVersion ?? null,
        checksum: snapshot.checksum,
      });
    }
    for (const record of idempotency) {
      keys.push({
        stream_id: streamId,
        key: record.key,
        fingerprint: record.fingerprint,
        command_id: record.commandId,
        from_sequence_nr: record.fromSequenceNr,
        to_sequence_nr: record.toSequenceNr,
        timestamp: double(record.timestamp),
      });
    }
  }
  return {
    events,
    heads: [...heads].map(([stream_id, head]) => ({ stream_id, head })),
    snapshots: [...snapshots.values()],
    keys,
  };
}

/** A document id as the key it is stored under: its UTF-16 code units, big-endian, in hex. */
export function documentKey(id: string): string {
  return Buffer.from(id, 'utf16le').swap16().toString('hex');
}

/**
 * The keys of the ids that start with `prefix`: from the prefix's key up to, not including, the first key past every
 * continuation of it (`undefined` when there is none: the prefix is all U+FFFF, or empty).
 */
export function prefixBounds(prefix: string): { from: string; to: string | undefined } {
  const from = documentKey(prefix);
  // The prefix's last code unit below U+FFFF, one up, with what follows it dropped.
  for (let i = prefix.length - 1; i >= 0; i--) {
    const unit = prefix.charCodeAt(i);
    if (unit < 0xffff) return { from, to: documentKey(prefix.slice(0, i) + String.fromCharCode(unit + 1)) };
  }
  return { from, to: undefined };
}
