/**
 * Export and import of a journal's history as text: a versioned, line-delimited JSON format (NDJSON), written and
 * read in pages, so that a history of any length passes through without being held whole.
 *
 * The format, version 1. One JSON value per line, each line ending in `\n`:
 *
 * | line | holds |
 * | --- | --- |
 * | first | `{"format":"eventfold-journal","version":1,"exportedAt":1700000000000}` |
 * | an event | `{"event":{"streamId":"account:a","sequenceNr":1,"position":1,"eventId":"…","type":"opened","schemaVersion":1,"timestamp":…,"metadata":{…},"data":{…}}}` |
 * | a snapshot | `{"snapshot":{"streamId":"account:a","sequenceNr":100,"timestamp":…,"schemaVersion":1,"state":{…}}}` (optional field: `schemaVersion`) |
 * | last | `{"end":{"events":1000000,"snapshots":2000,"streams":1,"digest":"9f3a0c1e"}}` |
 *
 * Events come in the order of their global positions, each stream's sequence numbers contiguous from 1; the
 * snapshots follow them. `data`, `metadata` and `state` are encoded as the PostgreSQL journal stores values
 * (`encodeValue`: plain JSON as it is, a Map, Date, BigInt or typed array as a tagged object), so every value a
 * journal accepts comes back as a structured clone of it. `digest` is the FNV-1a hash (32 bits, hex) of every line
 * between the first and the last, newlines included: an edited line is found even when it still parses.
 *
 * What is not exported: idempotency records, read models (projections rebuild them from the events) and sync
 * records. An export of some streams holds their events and snapshots only.
 *
 * @module
 */
import { InvalidImportError, messageOf } from './errors.ts';
import { highestPosition } from './journal-functions.ts';
import type { EventJournal, NewEvent, PersistedEvent, StreamWrite } from './journal.ts';
import { decodeValue, encodeValue } from './value-codec.ts';
import { assertStreamId, validateBatch } from './validation.ts';

/** The format's name, in its first line. */
export const EXPORT_FORMAT = 'eventfold-journal';
/** The version of the format this build writes and reads. */
export const EXPORT_VERSION = 1;

/** How far an export or an import has come. */
export interface TransferProgress {
  /** Events written (export) or stored (import) so far. */
  readonly events: number;
  /** Export: the journal's highest position when the export began (events are read up to it and beyond). Import: the events the file holds, once known. */
  readonly total: number;
}

/** Options of `exportJournal`. */
export interface ExportOptions {
  /** Only these streams (`streamIdOf(type, id)`); all when omitted. */
  readonly streamIds?: readonly string[];
  /** Events read per journal call. Default 5,000. */
  readonly pageSize?: number;
  /** Hears the progress after each page. */
  readonly onProgress?: (progress: TransferProgress & { readonly position: number }) => void;
}

/** What an import stored. */
export interface ImportSummary {
  /** The streams (entities) it holds. */
  readonly streams: number;
  /** Their events. */
  readonly events: number;
  /** Their snapshots. */
  readonly snapshots: number;
}

/** Options of `importJournal`. */
export interface ImportOptions {
  /** Events stored per `append`. Default 10,000. */
  readonly batchSize?: number;
  /** Hears the progress after each stored batch. */
  readonly onProgress?: (progress: TransferProgress) => void;
}

/**
 * Writes the journal's events (all streams, or `streamIds`) in the export format, as chunks of text of a page of
 * events each, with the streams' kept snapshots after them. Reads the journal page by page (`loadAfter`), so memory
 * stays bounded however long the history; events appended while it runs are exported up to where it reads.
 */
export async function* exportJournal(journal: EventJournal, options: ExportOptions = {}): AsyncGenerator<string, void, undefined> {
  const { streamIds, pageSize = 5_000, onProgress } = options;
  const only = streamIds && new Set(streamIds.map((id) => (assertStreamId(id), id)));
  const total = await highestPosition(journal);
  const digest = new Digest();
  const heads = new Map<string, number>();
  let events = 0;
  yield `${JSON.stringify({ format: EXPORT_FORMAT, version: EXPORT_VERSION, exportedAt: Date.now() })}\n`;
  for (let after = 0; ; ) {
    const page = await journal.loadAfter(after, pageSize);
    if (page.length === 0) break;
    let chunk = '';
    for (const stored of page) {
      if (only && !only.has(stored.streamId)) continue;
      chunk += eventLine(stored);
      heads.set(stored.streamId, stored.sequenceNr);
      events++;
    }
    after = page.at(-1)!.position;
    digest.add(chunk);
    if (chunk !== '') yield chunk;
    onProgress?.({ events, total, position: after });
  }
  let snapshots = 0;
  for (const [streamId, head] of heads) {
    let chunk = '';
    for (const sequenceNr of await journal.listSnapshots(streamId)) {
      if (sequenceNr > head) break;
      const snapshot = await journal.loadSnapshot(streamId, sequenceNr);
      // Thinned away since it was listed: the one found is an older one, exported in its turn.
      if (snapshot?.sequenceNr !== sequenceNr) continue;
      const { timestamp, schemaVersion, state } = snapshot;
      chunk += `${JSON.stringify({ snapshot: { streamId, sequenceNr, timestamp, ...(schemaVersion !== undefined && { schemaVersion }), state: encodeValue(state, 'snapshot.state') } })}\n`;
      snapshots++;
    }
    digest.add(chunk);
    if (chunk !== '') yield chunk;
  }
  yield `${JSON.stringify({ end: { events, snapshots, streams: heads.size, digest: digest.hex() } })}\n`;
}

function eventLine({ streamId, sequenceNr, position, eventId, type, schemaVersion, timestamp, metadata, event }: PersistedEvent & { streamId: string }): string {
  const data = encodeValue(event, 'event');
  return `${JSON.stringify({ event: { streamId, sequenceNr, position, eventId, type, schemaVersion, timestamp, metadata: encodeValue(metadata, 'metadata'), data } })}\n`;
}

/**
 * Loads an export into an empty journal. `open` gives the file's text, in chunks of any size, and is called twice:
 * first the whole file is checked without storing anything (the header and format version, every line's JSON and
 * shape, each event's envelope as `append` checks it, each stream contiguous from 1, positions ascending, every
 * snapshot within its stream, the counts and digest of the last line), then it is read again and stored in
 * batches, in the order of its positions. A damaged, truncated or foreign file, or a journal that already holds
 * events, fails with an `InvalidImportError` that says at which line and why, and nothing is stored. `open` must
 * give the same text both times (a `File` does).
 *
 * A storage failure during the second pass (a full quota) leaves the batches stored before it: the journal was
 * empty, so deleting its database undoes the import.
 */
export async function importJournal(journal: EventJournal, open: () => AsyncIterable<string>, options: ImportOptions = {}): Promise<ImportSummary> {
  const { batchSize = 10_000, onProgress } = options;
  const assertEmpty = async () => {
    if ((await journal.streamIds()).length > 0) throw new InvalidImportError(0, 'the journal already holds events; import into an empty one');
  };
  await assertEmpty();
  const summary = await readExport(open, () => {});
  await assertEmpty();

  let writes: StreamWrite[] = [];
  let pending = 0;
  let stored = 0;
  const flush = async () => {
    if (writes.length === 0) return;
    const outcomes = await journal.append(writes);
    for (const outcome of outcomes) if ('error' in outcome) throw outcome.error;
    stored += pending;
    writes = [];
    pending = 0;
    onProgress?.({ events: stored, total: summary.events });
  };
  await readExport(open, async (line) => {
    if ('event' in line) {
      const last = writes.at(-1);
      const event = line.event;
      if (last && last.streamId === line.streamId && last.events.length > 0) (last.events as NewEvent[]).push(event);
      else writes.push({ streamId: line.streamId, events: [event] });
      if (++pending >= batchSize) await flush();
    } else {
      // Snapshots come after every event: written 500 to an append.
      writes.push({ streamId: line.streamId, events: [], snapshot: line.snapshot });
      if (writes.length >= 500) await flush();
    }
  });
  await flush();
  return summary;
}

type ImportLine =
  | { streamId: string; event: NewEvent }
  | { streamId: string; snapshot: { sequenceNr: number; timestamp: number; schemaVersion?: number; state: unknown } };

/** Reads and checks an export line by line, handing each event and snapshot to `take`; resolves with its counts. */
async function readExport(open: () => AsyncIterable<string>, take: (line: ImportLine) => void | Promise<void>): Promise<ImportSummary> {
  const heads = new Map<string, number>();
  const digest = new Digest();
  let lineNr = 0;
  let position = 0;
  let events = 0;
  let snapshots = 0;
  let ended = false;
  const handle = async (text: string) => {
    lineNr++;
    const fail = (reason: string, cause?: unknown): never => {
      throw new InvalidImportError(lineNr, reason, cause === undefined ? undefined : { cause });
    };
    if (ended) fail('follows the last line (the one with "end")');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (cause) {
      fail(lineNr === 1 ? 'is not JSON: this is not an eventfold journal export' : 'is not JSON (the file is damaged)', cause);
    }
    if (lineNr === 1) return checkHeader(value, fail);
    const line = value as { event?: unknown; snapshot?: unknown; end?: unknown };
    if (!isRecord(line)) return fail('is not an object');
    if ('end' in line) {
      ended = true;
      return checkEnd(line.end, { events, snapshots, streams: heads.size, digest: digest.hex() }, fail);
    }
    digest.add(`${text}\n`);
    if ('event' in line) {
      const event = readEvent(line.event, fail);
      const head = heads.get(event.streamId) ?? 0;
      if (event.sequenceNr !== head + 1) {
        fail(`has event ${event.sequenceNr} of stream "${event.streamId}" where ${head + 1} continues it (an event is missing or repeated)`);
      }
      if (event.position <= position) fail(`has position ${event.position}, not above the line before's ${position}`);
      position = event.position;
      heads.set(event.streamId, event.sequenceNr);
      events++;
      const { streamId, sequenceNr, eventId, type, schemaVersion, timestamp, metadata } = event;
      return take({ streamId, event: { sequenceNr, eventId, type, schemaVersion, timestamp, metadata, event: event.event } });
    }
    if ('snapshot' in line) {
      const { streamId, snapshot } = readSnapshot(line.snapshot, fail);
      const head = heads.get(streamId);
      if (head === undefined) fail(`has a snapshot of stream "${streamId}", which has no events before it`);
      if (snapshot.sequenceNr > head!) fail(`has a snapshot at ${snapshot.sequenceNr} of stream "${streamId}", beyond its last event ${head}`);
      snapshots++;
      return take({ streamId, snapshot });
    }
    return fail('is neither an event, a snapshot nor the end');
  };
  let rest = '';
  const chunks = open()[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<string>;
    try {
      next = await chunks.next();
    } catch (cause) {
      // The file itself cannot be read on: not UTF-8 text, or gone from the disk.
      throw new InvalidImportError(lineNr + 1, `cannot be read: ${messageOf(cause)}`, { cause });
    }
    if (next.done) break;
    const chunk = next.value;
    if (typeof chunk !== 'string') throw new InvalidImportError(lineNr + 1, 'cannot be read: the source gave something other than text');
    const text = rest + chunk;
    let start = 0;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
      await handle(text.slice(start, newline));
      start = newline + 1;
    }
    rest = text.slice(start);
  }
  if (rest !== '') await handle(rest);
  if (lineNr === 0) throw new InvalidImportError(0, 'the file is empty');
  if (!ended) throw new InvalidImportError(lineNr, 'is the last, and it is not the end line: the file was cut short');
  return { streams: heads.size, events, snapshots };
}

type Fail = (reason: string, cause?: unknown) => never;

function checkHeader(value: unknown, fail: Fail): void {
  if (!isRecord(value) || value.format !== EXPORT_FORMAT) fail(`is not the header of an eventfold journal export ({"format":"${EXPORT_FORMAT}",…})`);
  const { version } = value as { version?: unknown };
  if (version !== EXPORT_VERSION) {
    fail(Number.isSafeInteger(version) && (version as number) > EXPORT_VERSION
      ? `says format version ${String(version)}, newer than this build reads (${EXPORT_VERSION})`
      : `says format version ${JSON.stringify(version)}, which does not exist`);
  }
}

function checkEnd(value: unknown, found: { events: number; snapshots: number; streams: number; digest: string }, fail: Fail): void {
  if (!isRecord(value)) return fail('is an end line without its counts');
  for (const key of ['events', 'snapshots', 'streams'] as const) {
    if (value[key] !== found[key]) fail(`says ${String(value[key])} ${key}, but the file holds ${found[key]}: lines are missing or added`);
  }
  if (value.digest !== found.digest) fail(`says digest ${String(value.digest)}, but the lines before it hash to ${found.digest}: the file was changed`);
}

function readEvent(value: unknown, fail: Fail): NewEvent & { streamId: string; position: number } {
  if (!isRecord(value)) return fail('has an event that is not an object');
  const { streamId, sequenceNr, position, eventId, type, schemaVersion, timestamp } = value;
  checkStreamId(streamId, fail);
  if (!Number.isSafeInteger(position) || (position as number) < 1) fail(`has an event whose position ${JSON.stringify(position)} is not a positive integer`);
  const event = {
    sequenceNr: sequenceNr as number,
    eventId: eventId as string,
    type: type as string,
    schemaVersion: schemaVersion as number,
    timestamp: timestamp as number,
    metadata: decoded(value.metadata, 'metadata', fail) as NewEvent['metadata'],
    event: decoded(value.data, 'data', fail),
  };
  try {
    // The envelope as `append` checks it: what it would refuse is refused here, before anything is stored.
    validateBatch(streamId as string, [event]);
  } catch (cause) {
    fail(`has an event the journal would refuse: ${messageOf(cause)}`, cause);
  }
  return { ...event, streamId: streamId as string, position: position as number };
}

function readSnapshot(value: unknown, fail: Fail) {
  if (!isRecord(value)) return fail('has a snapshot that is not an object');
  const { streamId, sequenceNr, timestamp, schemaVersion } = value;
  checkStreamId(streamId, fail);
  if (!Number.isSafeInteger(sequenceNr) || (sequenceNr as number) < 1) fail(`has a snapshot whose sequence number ${JSON.stringify(sequenceNr)} is not a positive integer`);
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) fail('has a snapshot without a timestamp');
  if (schemaVersion !== undefined && (!Number.isSafeInteger(schemaVersion) || (schemaVersion as number) < 1)) fail('has a snapshot whose schema version is not a positive integer');
  const state = decoded(value.state, 'state', fail);
  return {
    streamId: streamId as string,
    snapshot: { sequenceNr: sequenceNr as number, timestamp: timestamp as number, ...(schemaVersion !== undefined && { schemaVersion: schemaVersion as number }), state },
  };
}

function checkStreamId(streamId: unknown, fail: Fail): void {
  try {
    assertStreamId(streamId);
  } catch (cause) {
    fail(`has a stream id the journal would refuse: ${messageOf(cause)}`, cause);
  }
}

function decoded(value: unknown, what: string, fail: Fail): unknown {
  try {
    return decodeValue(value);
  } catch (cause) {
    return fail(`has ${what} that cannot be read back: ${messageOf(cause)}`, cause);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** FNV-1a over UTF-16 code units, 32 bits: a digest of the lines, to find an edit that still parses. */
class Digest {
  #hash = 0x811c9dc5;

  add(text: string): void {
    let hash = this.#hash;
    for (let i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
    this.#hash = hash;
  }

  hex(): string {
    return (this.#hash >>> 0).toString(16).padStart(8, '0');
  }
}
