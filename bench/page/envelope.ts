/**
 * The record an event store with eventfold's guarantees keeps per event: the event in an envelope of ids, type,
 * schema version, global position and metadata. The baselines store it too, with the same unique position index,
 * so that every write workload compares the same records.
 */
export interface EnvelopeRecord {
  sequenceNr: number;
  event: unknown;
  timestamp: number;
  eventId: string;
  type: string;
  schemaVersion: number;
  metadata: { correlationId: string; causationId: string };
  position: number;
}

/** The envelope of one command's event, as a hand-written store would build it in its worker. */
export function envelopeOf(sequenceNr: number, event: { type: string }, position: number): EnvelopeRecord {
  const commandId = crypto.randomUUID();
  return {
    sequenceNr,
    event,
    timestamp: Date.now(),
    eventId: crypto.randomUUID(),
    type: event.type,
    schemaVersion: 1,
    metadata: { correlationId: commandId, causationId: commandId },
    position,
  };
}
