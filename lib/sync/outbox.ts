import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { CommandOptions } from '../core/command.ts';
import { randomId } from '../core/identity.ts';
import type { PersistedEvent } from '../core/journal.ts';
import type { Outcome } from './protocol.ts';

/** A command the device accepted, waiting in the outbox until the server decided it and its events are here. */
export interface OutboxEntry {
  /** The device's gapless sequence number of the command. */
  readonly seq: number;
  /** The command's immutable id, the `causationId` of its events. */
  readonly commandId: string;
  /** The entity type the command is for. */
  readonly type: string;
  /** The entity id. */
  readonly id: string;
  /** The entity's stream (`streamIdOf(type, id)`). */
  readonly streamId: string;
  /** The command, as sent: it is encoded only when pushed. */
  readonly command: unknown;
  /** The options that travel with the command to the server. */
  readonly options: Pick<CommandOptions, 'correlationId' | 'metadata'>;
  /** When the device accepted it. */
  readonly at: number;
  /** The device's prediction: the events the command records on the confirmed state plus the commands before it. */
  readonly events: readonly PersistedEvent[];
  /** Set when the prediction is that the server will refuse it (another command took the funds meanwhile). */
  readonly predictedRejection?: string;
  /** The server's outcome, once known: a confirmed command stays until its events are in the confirmed copy. */
  readonly outcome?: Outcome & { status: 'confirmed' };
}

/** A command the server refused, kept until the user dismisses it. */
export interface ServerRejection {
  /** The command's id. */
  readonly commandId: string;
  /** The command's sequence number on this device. */
  readonly seq: number;
  /** The entity type the command was for. */
  readonly type: string;
  /** The entity id. */
  readonly id: string;
  /** The command, as sent. */
  readonly command: unknown;
  /** How the server refused it (see `Outcome`). */
  readonly status: 'rejected' | 'unsupported' | 'failed';
  /** Why, in the decider's words for a rejection. */
  readonly reason: string;
  /** When the device accepted the command. */
  readonly at: number;
}

/** Where the device stands with the server. */
export interface DeviceState {
  /** The device's id, drawn once with the outbox: the server keeps its sequence numbers and outcomes under it. */
  readonly deviceId: string;
  /** The sequence number the next command gets. */
  readonly nextSeq: number;
  /** The position of the last confirmed event the device holds. */
  readonly cursor: number;
  /** The last sequence number whose outcome the device holds. */
  readonly outcomesAfter: number;
  /** The server's epoch the confirmed copy belongs to; absent before the first pull. */
  readonly epoch?: string;
}

interface OutboxSchema extends DBSchema {
  meta: { key: 'device'; value: DeviceState };
  outbox: { key: number; value: OutboxEntry; indexes: { streamId: string; commandId: string } };
  rejections: { key: string; value: ServerRejection };
}

/** What a change of the outbox settled: the streams whose entries changed, and the commands that left it. */
export interface Settled {
  /** The streams whose entries changed. */
  readonly touched: Set<string>;
  /** The ids of the commands that left the outbox. */
  readonly gone: string[];
}

/** A new entry, before the outbox numbers it. */
export type NewEntry = Omit<OutboxEntry, 'seq'>;

/**
 * A device's outbox in IndexedDB, shared by the browser profile's tabs: the commands accepted and not yet settled,
 * each with its prediction, numbered gaplessly in the transaction that stores it; the device's cursor; the
 * server's rejections. Every change is one transaction, flushed to disk before it resolves.
 */
export class Outbox {
  readonly #db: IDBPDatabase<OutboxSchema>;
  /** Entries waiting for the transaction in flight to end, stored together in the next one. */
  #queued: { entry: NewEntry; resolve: (seq: number) => void; reject: (error: unknown) => void }[] = [];
  #flushing = false;

  private constructor(db: IDBPDatabase<OutboxSchema>) {
    this.#db = db;
  }

  /** Opens (or creates) the outbox of database `name`. */
  static async open(name: string): Promise<Outbox> {
    const db = await openDB<OutboxSchema>(`${name}:sync`, 1, {
      upgrade(database) {
        database.createObjectStore('meta');
        const outbox = database.createObjectStore('outbox', { keyPath: 'seq' });
        outbox.createIndex('streamId', 'streamId');
        outbox.createIndex('commandId', 'commandId', { unique: true });
        database.createObjectStore('rejections', { keyPath: 'commandId' });
      },
    });
    const outbox = new Outbox(db);
    await outbox.device();
    return outbox;
  }

  /** The device's state, created with a new device id the first time. */
  async device(): Promise<DeviceState> {
    const tx = this.#db.transaction('meta', 'readwrite', { durability: 'strict' });
    let state = await tx.store.get('device');
    if (!state) {
      state = { deviceId: randomId().replace(/[^A-Za-z0-9_-]/g, ''), nextSeq: 1, cursor: 0, outcomesAfter: 0 };
      await tx.store.put(state, 'device');
    }
    await tx.done;
    return state;
  }

  /**
   * Stores a command and its prediction, numbered after the last: resolves with its sequence number once durable.
   * Entries added while a transaction is in flight go together in the next one.
   */
  add(entry: NewEntry): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#queued.push({ entry, resolve, reject });
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while (this.#queued.length > 0) {
        const batch = this.#queued;
        this.#queued = [];
        try {
          const tx = this.#db.transaction(['meta', 'outbox'], 'readwrite', { durability: 'strict' });
          const meta = tx.objectStore('meta');
          const device = (await meta.get('device'))!;
          const outbox = tx.objectStore('outbox');
          const seqs = batch.map((_, i) => device.nextSeq + i);
          batch.forEach(({ entry }, i) => void outbox.put({ ...entry, seq: seqs[i]! }));
          void meta.put({ ...device, nextSeq: device.nextSeq + batch.length }, 'device');
          await tx.done;
          batch.forEach(({ resolve }, i) => resolve(seqs[i]!));
        } catch (error) {
          for (const { reject } of batch) reject(error);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  /** Every entry, ascending. */
  entries(): Promise<OutboxEntry[]> {
    return this.#db.getAll('outbox');
  }

  /** The entries of one stream, ascending. */
  async entriesOf(streamId: string): Promise<OutboxEntry[]> {
    return (await this.#db.getAllFromIndex('outbox', 'streamId', streamId)).sort((a, b) => a.seq - b.seq);
  }

  /** Up to `limit` entries the server has not decided yet, ascending. */
  async undecided(limit: number): Promise<OutboxEntry[]> {
    const found: OutboxEntry[] = [];
    let cursor = await this.#db.transaction('outbox').store.openCursor();
    while (cursor && found.length < limit) {
      if (!cursor.value.outcome) found.push(cursor.value);
      cursor = await cursor.continue();
    }
    return found;
  }

  /** Whether command `commandId` is still in the outbox. */
  async holds(commandId: string): Promise<boolean> {
    return (await this.#db.countFromIndex('outbox', 'commandId', commandId)) > 0;
  }

  /** How many entries wait (undecided, or confirmed and waiting for their events). */
  count(): Promise<number> {
    return this.#db.count('outbox');
  }

  /**
   * Records the server's outcomes, in one transaction: a refused command leaves the outbox for the rejections, a
   * confirmed one without events leaves it, a confirmed one with events stays until they are here (`advance`).
   * Resolves with the streams whose entries changed, and the ids of the commands that left.
   */
  async settle(outcomes: readonly Outcome[]): Promise<Settled> {
    const touched = new Set<string>();
    const gone: string[] = [];
    if (outcomes.length === 0) return { touched, gone };
    const tx = this.#db.transaction(['meta', 'outbox', 'rejections'], 'readwrite', { durability: 'strict' });
    const outbox = tx.objectStore('outbox');
    for (const outcome of outcomes) {
      const entry = await outbox.get(outcome.seq);
      if (!entry || entry.commandId !== outcome.commandId || entry.outcome) continue;
      touched.add(entry.streamId);
      if (outcome.status === 'confirmed' && outcome.events > 0) {
        await outbox.put({ ...entry, outcome });
        continue;
      }
      await outbox.delete(entry.seq);
      gone.push(entry.commandId);
      if (outcome.status !== 'confirmed') {
        const { commandId, seq, type, id, command, at } = entry;
        await tx.objectStore('rejections').put({ commandId, seq, type, id, command, at, status: outcome.status, reason: outcome.reason });
      }
    }
    const meta = tx.objectStore('meta');
    const device = (await meta.get('device'))!;
    const last = Math.max(device.outcomesAfter, ...outcomes.map((outcome) => outcome.seq));
    await meta.put({ ...device, outcomesAfter: last }, 'device');
    await tx.done;
    return { touched, gone };
  }

  /**
   * Moves the cursor to `cursor` (of `epoch`) and lets go of the confirmed entries whose events the confirmed copy
   * now holds (`heads`: each stream's confirmed head). Resolves with the streams whose entries left, and their ids.
   */
  async advance(cursor: number, epoch: string, heads: ReadonlyMap<string, number>): Promise<Settled> {
    const touched = new Set<string>();
    const gone: string[] = [];
    const tx = this.#db.transaction(['meta', 'outbox'], 'readwrite', { durability: 'strict' });
    const outbox = tx.objectStore('outbox');
    for (const [streamId, head] of heads) {
      for (const entry of await outbox.index('streamId').getAll(streamId)) {
        if (entry.outcome && entry.outcome.sequenceNr <= head) {
          await outbox.delete(entry.seq);
          touched.add(streamId);
          gone.push(entry.commandId);
        }
      }
    }
    const meta = tx.objectStore('meta');
    const device = (await meta.get('device'))!;
    await meta.put({ ...device, cursor: Math.max(cursor, device.epoch === epoch ? device.cursor : 0), epoch }, 'device');
    await tx.done;
    return { touched, gone };
  }

  /** Stores new predictions of entries still there (a rebase), in one transaction. */
  async predict(entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const tx = this.#db.transaction('outbox', 'readwrite', { durability: 'strict' });
    for (const entry of entries) {
      const stored = await tx.store.get(entry.seq);
      if (stored && stored.commandId === entry.commandId) await tx.store.put({ ...entry, ...(stored.outcome && { outcome: stored.outcome }) });
    }
    await tx.done;
  }

  /**
   * A new epoch of the server (the journal was reset or restored): the confirmed copy is dropped by the caller;
   * here every entry not settled is numbered again after `lastSeq`, the server's last for this device, to be pushed
   * again, and the cursor goes back to 0.
   */
  async restart(epoch: string, lastSeq: number): Promise<void> {
    const tx = this.#db.transaction(['meta', 'outbox'], 'readwrite', { durability: 'strict' });
    const outbox = tx.objectStore('outbox');
    const entries = await outbox.getAll();
    await outbox.clear();
    entries.forEach((entry, i) => {
      const { outcome: _dropped, ...rest } = entry;
      void outbox.put({ ...rest, seq: lastSeq + 1 + i });
    });
    const meta = tx.objectStore('meta');
    const device = (await meta.get('device'))!;
    await meta.put({ ...device, epoch, cursor: 0, outcomesAfter: lastSeq, nextSeq: lastSeq + 1 + entries.length }, 'device');
    await tx.done;
  }

  /** The server's rejections, oldest first. */
  async rejections(): Promise<ServerRejection[]> {
    return (await this.#db.getAll('rejections')).sort((a, b) => a.seq - b.seq);
  }

  /** Forgets a rejection the user has seen. */
  dismiss(commandId: string): Promise<void> {
    return this.#db.delete('rejections', commandId);
  }

  /** Closes the database: the outbox cannot be used after. */
  close(): void {
    this.#db.close();
  }
}
